// The declared `np-` state for policies, pods and namespaces (no nft here: plugin.test.ts sends
// real traffic through it).
import { describe, expect, test } from 'vitest';
import type { NetworkPolicy, NetworkPolicySpec, Pod } from '@skiff/api';
import { compile, FORWARD_CHAIN, MAP_EGRESS, MAP_INGRESS, policyChain, type ModelInput } from './model.ts';

const pod = (name: string, ip: string, labels: Record<string, string>, o: { ns?: string; node?: string; ports?: { name: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[]; hostNetwork?: boolean; phase?: string } = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: o.ns ?? 'default', name, labels },
    spec: { nodeName: o.node ?? 'n1', hostNetwork: o.hostNetwork, containers: [{ name: 'c', image: 'x', ports: o.ports ?? [] }] },
    status: { phase: o.phase ?? 'Running', podIP: ip, podIPs: [{ ip }] },
  }) as unknown as Pod;
const policy = (name: string, spec: Partial<NetworkPolicySpec>, ns = 'default'): NetworkPolicy =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: ns, name }, spec: { podSelector: {}, ...spec } }) as NetworkPolicy;

const web = pod('web', '10.0.0.10', { app: 'web' }, { ports: [{ name: 'http', containerPort: 8080 }] });
const client = pod('client', '10.0.0.2', { app: 'client' });
const remote = pod('remote', '10.0.1.5', { app: 'client' }, { node: 'n2', ns: 'other' });
const run = (policies: NetworkPolicy[], pods = [web, client, remote], namespaces: ModelInput['namespaces'] = new Map<string, Record<string, string>>([['default', {}], ['other', { team: 'a' }]])) =>
  compile({ nodeName: 'n1', policies, pods, namespaces });
/** the elements of a set, by name or by the end of its name */
const els = (c: ReturnType<typeof run>, set: string) => [...(c.state.sets.get(set)?.elements ?? c.state.sets.get(setOf(c, set))?.elements ?? new Map()).entries()].map(([k, v]) => (v ? `${k} : ${v}` : k));
const setOf = (c: ReturnType<typeof run>, suffix: string) => [...c.state.sets.keys()].find((n) => n.endsWith(suffix))!;

describe('compile', () => {
  test('no policy: the skeleton only, both maps empty (default allow)', () => {
    const c = run([]);
    expect(els(c, MAP_INGRESS)).toEqual([]);
    expect(els(c, MAP_EGRESS)).toEqual([]);
    expect(c.state.chains.get(FORWARD_CHAIN)).toMatchObject({ base: { hook: 'forward', priority: 0 }, rules: ['ct state established,related accept', `ip saddr vmap @${MAP_EGRESS}`, 'jump np-ingress'] });
  });

  test('a policy without rules: the selected local pod goes to a chain that drops', () => {
    const c = run([policy('deny', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] })]);
    const [el] = els(c, MAP_INGRESS);
    expect(el).toMatch(/^10\.0\.0\.10 : goto np-i-/);
    const chain = el!.split('goto ')[1]!;
    expect(c.state.chains.get(chain)!.rules).toEqual([`jump ${policyChain('default/deny', 'i')}`, 'drop']);
    expect(c.state.chains.get(policyChain('default/deny', 'i'))!.rules).toEqual([]);
    expect(els(c, MAP_EGRESS)).toEqual([]);
  });

  test('two policies selecting one pod: one chain jumping to both (their union)', () => {
    const c = run([policy('a', { podSelector: { matchLabels: { app: 'web' } } }), policy('b', { podSelector: {} })]);
    const el = els(c, MAP_INGRESS).find((e) => e.startsWith('10.0.0.10'))!;
    expect(c.state.chains.get(el.split('goto ')[1]!)!.rules).toEqual([`jump ${policyChain('default/a', 'i')}`, `jump ${policyChain('default/b', 'i')}`, 'drop']);
    // the client (selected by b only) has a chain of its own
    expect(els(c, MAP_INGRESS)).toHaveLength(2);
  });

  test('peers: podSelector in the namespace, namespaceSelector, both; ipBlock minus except', () => {
    const c = run([
      policy('p', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { app: 'client' } } }] },
          { from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] },
          { from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } }] },
          { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }] },
          { from: [{ ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.1.0/24'] } }, { ipBlock: { cidr: 'fd00::/64' } }] },
        ],
      }),
    ]);
    expect(els(c, '-i0-peer')).toEqual(['10.0.0.2']);
    expect(els(c, '-i1-peer')).toEqual(['10.0.1.5']);
    expect(els(c, '-i2-peer')).toEqual(['10.0.0.2', '10.0.1.5']);
    expect(els(c, '-i3-peer')).toEqual(['10.0.1.5']);
    expect(els(c, '-i4-peer')).toEqual(['192.168.0.0-192.168.0.255', '192.168.2.0-192.168.255.255']);
    const rules = c.state.chains.get(policyChain('default/p', 'i'))!.rules;
    expect(rules).toHaveLength(5);
    expect(rules[0]).toBe(`ip saddr @${setOf(c, '-i0-peer')} accept`);
  });

  test('ports: numeric and ranges merged per protocol, a protocol alone is every port, named ports per destination pod', () => {
    const c = run([
      policy('p', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 8000, endPort: 8100 }, { protocol: 'TCP', port: 8050 }, { protocol: 'UDP' }, { protocol: 'TCP', port: 'http' }] }],
      }),
    ]);
    expect(els(c, '-i0-tcp')).toEqual(['80', '8000-8100']);
    expect(els(c, '-i0-udp')).toEqual(['0-65535']);
    expect(els(c, '-i0-named')).toEqual(['10.0.0.10 . tcp . 8080']);
    expect(c.state.chains.get(policyChain('default/p', 'i'))!.rules).toEqual([
      `meta l4proto tcp th dport @${setOf(c, '-i0-tcp')} accept`,
      `meta l4proto udp th dport @${setOf(c, '-i0-udp')} accept`,
      `ip daddr . meta l4proto . th dport @${setOf(c, '-i0-named')} accept`,
    ]);
    expect(c.warnings).toEqual([]);
  });

  test('a named port no pod has: an empty set (nothing allowed to it) and a warning for the policy', () => {
    const c = run([policy('p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ protocol: 'TCP', port: 'metrics' }, { protocol: 'UDP', port: 'http' }] }] })]);
    expect(els(c, '-i0-named')).toEqual([]);
    expect(c.warnings.map((w) => w.reason)).toEqual(['NamedPortNotFound', 'NamedPortNotFound']);
    expect(c.warnings[0]!.message).toContain('"metrics"');
  });

  test('egress: the source pod on this node; peers are destinations; named ports resolve on the peer pods; allowed goes on to ingress', () => {
    const c = run([policy('e', { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 'http' }] }] })]);
    expect(els(c, MAP_EGRESS)).toEqual([expect.stringMatching(/^10\.0\.0\.2 : goto np-e-/)]);
    expect(els(c, MAP_INGRESS)).toEqual([]);
    expect(els(c, '-e0-named')).toEqual(['10.0.0.10 . tcp . 8080']);
    expect(c.state.chains.get(policyChain('default/e', 'e'))!.rules).toEqual([`ip daddr @${setOf(c, '-e0-peer')} ip daddr . meta l4proto . th dport @${setOf(c, '-e0-named')} goto np-ingress`]);
  });

  test('pods of other nodes, host-network and finished pods are not enforced here; policyTypes defaults when absent', () => {
    const hostPod = pod('h', '192.168.0.1', { app: 'web' }, { hostNetwork: true });
    const done = pod('d', '10.0.0.99', { app: 'web' }, { phase: 'Succeeded' });
    const c = run([policy('all', { podSelector: {}, egress: [{}] })], [web, client, remote, hostPod, done]);
    expect(els(c, MAP_INGRESS).map((e) => e.split(' ')[0]).sort()).toEqual(['10.0.0.10', '10.0.0.2']);
    expect(els(c, MAP_EGRESS).map((e) => e.split(' ')[0]).sort()).toEqual(['10.0.0.10', '10.0.0.2']);
    expect(c.stats).toEqual({ policies: 1, ingressPods: 2, egressPods: 2 });
    // a policy selecting only pods of another node puts nothing here
    expect(run([policy('x', { podSelector: {} }, 'other')]).stats.policies).toBe(0);
  });
});
