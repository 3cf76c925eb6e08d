// Which endpoints a Service port gets (kube-proxy's CategorizeEndpoints) and what the rules say.
import { describe, expect, it } from 'vitest';
import type { Service } from '@skiff/api';
import { servicePorts, type EndpointSlice } from './model.ts';
import { portObjects } from './rules.ts';

const svc = (spec: Record<string, unknown> = {}): Service =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'ns', name: 'web' }, spec: { clusterIP: '10.96.0.9', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec } }) as Service;
const slice = (eps: { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean; node?: string }[], port: number | undefined = 8080): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'ns', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port, protocol: 'TCP' }],
  endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating }, nodeName: e.node ?? 'a' })),
});
const ips = (eps: { ip: string }[]) => eps.map((e) => e.ip);

describe('servicePorts', () => {
  it('ready endpoints only; nil conditions count as ready', () => {
    const [sp] = servicePorts(svc(), [slice([{ ip: '10.0.0.2' }, { ip: '10.0.0.1', ready: true }, { ip: '10.0.0.3', ready: false, serving: true, terminating: true }])], 'a');
    expect(ips(sp.clusterEndpoints)).toEqual(['10.0.0.1', '10.0.0.2']);
  });
  it('serving+terminating endpoints only when none is ready; local ones judged apart', () => {
    const [sp] = servicePorts(
      svc(),
      [slice([{ ip: '10.0.0.1', ready: false, serving: true, terminating: true, node: 'a' }, { ip: '10.0.0.2', ready: false, serving: false, terminating: true }, { ip: '10.0.0.3', ready: true, node: 'b' }])],
      'a',
    );
    expect(ips(sp.clusterEndpoints)).toEqual(['10.0.0.3']);
    expect(ips(sp.localEndpoints)).toEqual(['10.0.0.1']);
  });
  it('leaves out headless and ExternalName Services, IPv6, and endpoints without a valid port', () => {
    expect(servicePorts(svc({ clusterIP: 'None', clusterIPs: ['None'] }), [], 'a')).toEqual([]);
    expect(servicePorts(svc({ type: 'ExternalName', externalName: 'x.example' }), [], 'a')).toEqual([]);
    expect(servicePorts(svc(), [slice([{ ip: 'fd00::1' }])], 'a')[0].clusterEndpoints).toEqual([]);
    expect(servicePorts(svc(), [slice([{ ip: '10.0.0.1' }], 70000)], 'a')[0].clusterEndpoints).toEqual([]);
  });
});

describe('portObjects', () => {
  const o = { clusterCIDR: '10.244.0.0/16', masqueradeAll: false, masqueradeBit: 14 };
  it('a Service without endpoints is rejected; with policy Local and none local, dropped', () => {
    const none = portObjects(servicePorts(svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30001 }] }), [], 'a')[0], o);
    expect(none.elements.get('svc-noep-ips')).toEqual(['10.96.0.9 . tcp . 80 : goto svc-reject']);
    expect(none.elements.get('svc-noep-nodeports')).toEqual(['tcp . 30001 : goto svc-reject']);
    expect(none.chains.size).toBe(0);
    const remote = portObjects(servicePorts(svc({ internalTrafficPolicy: 'Local' }), [slice([{ ip: '10.0.0.1', node: 'b' }])], 'a')[0], o);
    expect(remote.elements.get('svc-noep-ips')).toEqual(['10.96.0.9 . tcp . 80 : drop']);
  });
  it('one DNAT rule picks among the endpoints; affinity uses a chain and a timeout set per endpoint', () => {
    const eps = slice([{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }]);
    const plain = portObjects(servicePorts(svc(), [eps], 'a')[0], o);
    const [rules] = [...plain.chains.values()];
    expect(rules.at(-1)).toBe('meta l4proto tcp dnat ip addr . port to numgen random mod 2 map { 0 : 10.0.0.1 . 8080, 1 : 10.0.0.2 . 8080 }');
    expect(rules[0]).toBe('ip daddr 10.96.0.9 tcp dport 80 ip saddr != 10.244.0.0/16 jump svc-mark-masq');
    const aff = portObjects(servicePorts(svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }), [eps], 'a')[0], o);
    expect([...aff.sets.values()]).toEqual([{ type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeoutSeconds: 60 }, { type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeoutSeconds: 60 }]);
    expect(aff.chains.size).toBe(3);
    expect([...aff.chains.keys()].every((n) => n.length <= 255 && /^svc-[a-z]-/.test(n))).toBe(true);
  });
});
