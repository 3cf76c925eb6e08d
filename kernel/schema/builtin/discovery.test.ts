import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { endpointSliceKind } from './discovery.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const slice = (body: Record<string, unknown>): KObject =>
  ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-abcde', namespace: 'default' }, addressType: 'IPv4', ...body }) as KObject;
const admit = (o: KObject, old?: KObject) => {
  endpointSliceKind.default?.(o);
  return endpointSliceKind.validate!(o, old);
};
const ep = (addresses: unknown[], extra: Record<string, unknown> = {}) => ({ addresses, conditions: { ready: true }, ...extra });

describe('EndpointSlice', () => {
  test('a slice as the controller writes it is valid; ports default name "" and protocol TCP', () => {
    const s = slice({
      endpoints: [ep(['10.244.0.5'], { nodeName: 'node-1', zone: 'a', hostname: 'web-0', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u' }, hints: { forZones: [{ name: 'a' }] } })],
      ports: [{ port: 8080 }, { name: 'metrics', port: 9090, protocol: 'UDP', appProtocol: 'kubernetes.io/h2c' }],
    });
    expect(admit(s)).toEqual([]);
    expect(s.ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'UDP', appProtocol: 'kubernetes.io/h2c' }]);
  });
  test('no endpoints and no ports (the placeholder slice) is valid', () => {
    expect(admit(slice({ endpoints: [], ports: [] }))).toEqual([]);
  });
  test.each([
    [{ addressType: undefined }, ['addressType:FieldValueRequired']],
    [{ addressType: 'IP' }, ['addressType:FieldValueNotSupported']],
    [{ endpoints: [ep([])] }, ['endpoints[0].addresses:FieldValueRequired']],
    [{ endpoints: [ep(['10.0.0.1.1'])] }, ['endpoints[0].addresses[0]:FieldValueInvalid']],
    [{ endpoints: [ep(['fd00::1'])] }, ['endpoints[0].addresses[0]:FieldValueInvalid']],
    [{ endpoints: [ep(['127.0.0.1'])] }, ['endpoints[0].addresses[0]:FieldValueInvalid']],
    [{ endpoints: [ep(['0.0.0.0'])] }, ['endpoints[0].addresses[0]:FieldValueInvalid']],
    [{ endpoints: [ep(['10.0.0.1'], { hostname: 'Not_A_Label' })] }, ['endpoints[0].hostname:FieldValueInvalid']],
    [{ endpoints: [ep(['10.0.0.1'], { conditions: { ready: 'yes' } })] }, ['endpoints[0].conditions.ready:FieldValueTypeInvalid']],
    [{ endpoints: [ep(['10.0.0.1'], { hints: { forZones: [{ name: 'a' }, { name: 'a' }] } })] }, ['endpoints[0].hints.forZones[1]:FieldValueDuplicate']],
    [{ endpoints: [ep(Array.from({ length: 101 }, (_, i) => `10.0.${i}.1`))] }, ['endpoints[0].addresses:FieldValueTooMany']],
    [{ endpoints: Array.from({ length: 1001 }, (_, i) => ep([`10.1.${i >> 8}.${i & 255}`])) }, ['endpoints:FieldValueTooMany']],
    [{ ports: Array.from({ length: 101 }, (_, i) => ({ name: `p${i}`, port: 1000 + i })) }, ['ports:FieldValueTooMany']],
    [{ ports: [{ name: 'a', port: 1 }, { name: 'a', port: 2 }] }, ['ports[1].name:FieldValueDuplicate']],
    [{ ports: [{ port: 1 }, { port: 2 }] }, ['ports[1].name:FieldValueDuplicate']],
    [{ ports: [{ name: 'a', port: 1, protocol: 'ICMP' }] }, ['ports[0].protocol:FieldValueNotSupported']],
    [{ ports: [{ name: 'Bad_Name', port: 1 }] }, ['ports[0].name:FieldValueInvalid']],
    [{ ports: [{ name: 'a', port: 1, appProtocol: 'not valid!' }] }, ['ports[0].appProtocol:FieldValueInvalid']],
  ])('%j', (body, expected) => {
    expect(f(admit(slice(body)))).toEqual(expected);
  });
  test('IPv6 and FQDN address types check their own form', () => {
    expect(admit(slice({ addressType: 'IPv6', endpoints: [ep(['fd00::5'])] }))).toEqual([]);
    expect(f(admit(slice({ addressType: 'IPv6', endpoints: [ep(['10.0.0.1'])] })))).toEqual(['endpoints[0].addresses[0]:FieldValueInvalid']);
    expect(admit(slice({ addressType: 'FQDN', endpoints: [ep(['db.example.com'])] }))).toEqual([]);
    expect(f(admit(slice({ addressType: 'FQDN', endpoints: [ep(['localhost'])] })))).toEqual(['endpoints[0].addresses[0]:FieldValueInvalid']);
  });
  test('addressType is immutable', () => {
    const old = slice({ endpoints: [] });
    expect(f(admit(slice({ addressType: 'IPv6', endpoints: [] }), old))).toEqual(['addressType:FieldValueInvalid']);
  });
  test('registered with no short name and no category, as kube serves it', () => {
    expect(endpointSliceKind.shortNames).toBeUndefined();
    expect(endpointSliceKind.categories).toBeUndefined();
  });
});
