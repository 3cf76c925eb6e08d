import { describe, expect, it } from 'vitest';
import type { Pod, Service } from '@skiff/api';
import { endpointSubsets } from './legacy-endpoints.ts';

const svc = (spec: Service['spec'] = {}): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec } });
const pod = (name: string, ip: string, o: { ready?: boolean; port?: boolean; deleting?: boolean } = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: name, deletionTimestamp: o.deleting ? '2024-01-01T00:00:00Z' : undefined },
    spec: { containers: [{ name: 'c', image: 'x', ports: o.port === false ? [] : [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  }) as Pod;

describe('legacy Endpoints', () => {
  it('ready pods in addresses, others in notReadyAddresses; terminating and portless pods left out', () => {
    const { subsets } = endpointSubsets(svc(), [pod('b', '10.0.0.2'), pod('a', '10.0.0.1'), pod('c', '10.0.0.3', { ready: false }), pod('d', '10.0.0.4', { deleting: true }), pod('e', '10.0.0.5', { port: false })]);
    expect(subsets).toEqual([
      {
        addresses: [expect.objectContaining({ ip: '10.0.0.1' }), expect.objectContaining({ ip: '10.0.0.2' })],
        notReadyAddresses: [expect.objectContaining({ ip: '10.0.0.3' })],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('publishNotReadyAddresses lists every pod as ready, terminating ones too', () => {
    const { subsets } = endpointSubsets(svc({ publishNotReadyAddresses: true }), [pod('c', '10.0.0.3', { ready: false }), pod('d', '10.0.0.4', { deleting: true })]);
    expect(subsets[0].addresses?.map((a) => a.ip)).toEqual(['10.0.0.3', '10.0.0.4']);
    expect(subsets[0].notReadyAddresses).toBeUndefined();
  });

  it('cuts at 1000 addresses and says so', () => {
    const ps = Array.from({ length: 1005 }, (_, i) => pod(`p${i}`, `10.1.${i >> 8}.${i & 255}`));
    const { subsets, truncated } = endpointSubsets(svc(), ps);
    expect(truncated).toBe(true);
    expect(subsets[0].addresses).toHaveLength(1000);
  });
});
