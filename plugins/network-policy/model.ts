// What the NetworkPolicies, Pods and Namespaces ask of this node, as the `np-` objects of
// `table inet skiff` (a declared state; enforcer.ts applies the difference). Pure: no I/O.
//
//   np-forward (filter, hook forward, priority 0: after the service proxy's DNAT at prerouting -100,
//   so it sees pod addresses; bridged pod-to-pod traffic passes it through br_netfilter):
//     ct state established,related accept          replies of allowed flows
//     ip saddr vmap @np-egress-pods                a local pod some policy selects for Egress
//                                                   -> goto np-e-<its policies>
//     jump np-ingress
//   np-ingress: ip daddr vmap @np-ingress-pods     a local pod selected for Ingress
//                                                   -> goto np-i-<its policies>
//               accept                             (nobody selects it: default allow)
//   np-i-<hash> / np-e-<hash>  one per distinct combination of selecting policies:
//     jump np-pi-<policy> ... ; drop              allowed = the union of the policies' rules
//   np-pi-<policy> / np-pe-<policy>  one rule per (rule x protocol) of the policy, matching sets:
//     np-<policy>-i<r>-peer    the rule's peers as disjoint IPv4 ranges (pods, ipBlock minus except)
//     np-<policy>-i<r>-tcp     numeric ports and ranges of a protocol (inet_service intervals)
//     np-<policy>-i<r>-named   named ports resolved per destination pod (ip . proto . port)
//     ingress rules accept; egress rules `goto np-ingress`, so the destination's ingress is
//     checked too when it is a pod of this node.
//
// Ingress is enforced on the destination pod's node, egress on the source pod's node. Traffic from
// and to the node itself (host-network pods, kubelet probes) passes the input and output hooks, not
// forward: it is always allowed, as Kubernetes documents. IPv4 only (IPv6 ipBlocks are skipped).
import { createHash } from 'node:crypto';
import { selectorMatches, type ContainerPort, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, type Pod } from '@skiff/api';
import { emptyState, safeName, type TableState } from '@skiff/client/nftables';
import { addressRange, cidrRange, normalize, rangeElement, subtract, type Range } from './intervals.ts';

export const PREFIX = 'np-';
export const FORWARD_CHAIN = 'np-forward';
export const INGRESS_CHAIN = 'np-ingress';
export const MAP_INGRESS = 'np-ingress-pods';
export const MAP_EGRESS = 'np-egress-pods';
/** kube labels every Namespace with its name; a namespaceSelector may use it */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface ModelInput {
  nodeName: string;
  policies: Iterable<NetworkPolicy>;
  pods: Iterable<Pod>;
  /** namespace name -> its labels */
  namespaces: Map<string, Record<string, string> | undefined>;
  /** the forward base chain's priority (default 0) */
  priority?: number;
}

/** Bad input admission cannot see (a named port no pod has): the policy gets an Event. */
export interface PolicyWarning {
  policy: NetworkPolicy;
  reason: string;
  message: string;
}

export interface Compiled {
  state: TableState;
  warnings: PolicyWarning[];
  /** policies selecting a pod of this node; this node's pods with a policy per direction */
  stats: { policies: number; ingressPods: number; egressPods: number };
}

/** A pod as policies see it: an IPv4 address on the pod network (not host-network, not finished). */
interface PodInfo {
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  local: boolean;
  ports: ContainerPort[];
}

type Dir = 'i' | 'e';
const PROTOS = ['tcp', 'udp', 'sctp'] as const;
type Proto = (typeof PROTOS)[number];

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
const policyKey = (p: NetworkPolicy) => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
/** the chain of one policy's rules for a direction (name readable; the hash keeps it unique) */
export const policyChain = (key: string, dir: Dir) => `np-p${dir}-${hash(key)}-${safeName(key, 120)}`;

function podInfo(pod: Pod, nodeName: string): PodInfo | undefined {
  if (pod.spec?.hostNetwork) return undefined;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const ips = [...(pod.status?.podIPs ?? []).map((p) => p.ip), pod.status?.podIP].filter((ip): ip is string => typeof ip === 'string');
  const ip = ips.find((a) => addressRange(a));
  if (!ip) return undefined;
  return {
    namespace: pod.metadata.namespace ?? 'default',
    labels: pod.metadata.labels ?? {},
    ip,
    local: pod.spec?.nodeName === nodeName,
    ports: (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []),
  };
}

function policyTypes(p: NetworkPolicy): { ingress: boolean; egress: boolean } {
  const t = p.spec?.policyTypes;
  if (t?.length) return { ingress: t.includes('Ingress'), egress: t.includes('Egress') };
  return { ingress: true, egress: !!p.spec?.egress?.length };
}

export function compile(input: ModelInput): Compiled {
  const state = emptyState();
  const warnings: PolicyWarning[] = [];
  const pods: PodInfo[] = [];
  const byNamespace = new Map<string, PodInfo[]>();
  for (const pod of input.pods) {
    const info = podInfo(pod, input.nodeName);
    if (!info) continue;
    pods.push(info);
    (byNamespace.get(info.namespace) ?? byNamespace.set(info.namespace, []).get(info.namespace)!).push(info);
  }
  const nsLabels = (ns: string) => ({ ...(input.namespaces.get(ns) ?? {}), [NAMESPACE_NAME_LABEL]: ns });
  const knownNamespaces = new Set([...input.namespaces.keys(), ...byNamespace.keys()]);

  /** per local pod IP: the policies selecting it, per direction */
  const selecting = { i: new Map<string, string[]>(), e: new Map<string, string[]>() };
  let policies = 0;

  const sorted = [...input.policies].sort((a, b) => policyKey(a).localeCompare(policyKey(b)));
  for (const policy of sorted) {
    const key = policyKey(policy);
    const ns = policy.metadata.namespace ?? 'default';
    const selected = (byNamespace.get(ns) ?? []).filter((p) => p.local && selectorMatches(policy.spec?.podSelector ?? {}, p.labels));
    if (!selected.length) continue; // nothing of this node to enforce
    policies++;
    const types = policyTypes(policy);
    const h = hash(key);

    /** the pods a peer selects */
    const peerPods = (peer: NetworkPolicyPeer): PodInfo[] => {
      if (peer.ipBlock) return [];
      const namespaces = peer.namespaceSelector ? [...knownNamespaces].filter((n) => selectorMatches(peer.namespaceSelector, nsLabels(n))) : [ns];
      const podSel = peer.podSelector ?? {};
      return namespaces.flatMap((n) => (byNamespace.get(n) ?? []).filter((p) => selectorMatches(podSel, p.labels)));
    };

    const compileRules = (dir: Dir, rules: { ports?: NetworkPolicyPort[]; peers?: NetworkPolicyPeer[] }[]) => {
      const chain: string[] = [];
      const verdict = dir === 'i' ? 'accept' : `goto ${INGRESS_CHAIN}`;
      rules.forEach((rule, r) => {
        const setName = (what: string) => `np-${h}-${dir}${r}-${what}`;
        const peers = rule.peers ?? [];
        let match = '';
        let targets: PodInfo[] = pods; // whose named ports an egress rule resolves
        if (peers.length) {
          const ranges: Range[] = [];
          const matched: PodInfo[] = [];
          for (const peer of peers) {
            if (peer.ipBlock) {
              const block = cidrRange(peer.ipBlock.cidr);
              if (block) ranges.push(...subtract(block, (peer.ipBlock.except ?? []).map(cidrRange).filter((x): x is Range => !!x)));
            } else matched.push(...peerPods(peer));
          }
          for (const p of matched) ranges.push(addressRange(p.ip)!);
          targets = matched;
          const name = setName('peer');
          state.sets.set(name, { spec: { type: 'ipv4_addr', flags: ['interval'] }, elements: new Map(normalize(ranges).map((x) => [rangeElement(x), undefined])) });
          match = `ip ${dir === 'i' ? 'saddr' : 'daddr'} @${name} `;
        }
        const ports = rule.ports ?? [];
        if (!ports.length) return void chain.push(`${match}${verdict}`);
        const numeric = new Map<Proto, Range[]>();
        const named = new Map<string, undefined>();
        let hasNamed = false;
        for (const port of ports) {
          const proto = (port.protocol ?? 'TCP').toLowerCase() as Proto;
          if (!PROTOS.includes(proto)) continue;
          if (typeof port.port === 'string') {
            hasNamed = true;
            // resolved on the destination: the selected pod (ingress), the peer pod (egress)
            const on = dir === 'i' ? selected : targets;
            let found = false;
            for (const p of on)
              for (const cp of p.ports)
                if (cp.name === port.port && (cp.protocol ?? 'TCP').toLowerCase() === proto) {
                  named.set(`${p.ip} . ${proto} . ${cp.containerPort}`, undefined);
                  found = true;
                }
            if (!found)
              warnings.push({
                policy,
                reason: 'NamedPortNotFound',
                message: `${dir === 'i' ? 'ingress' : 'egress'} rule ${r}: no ${dir === 'i' ? 'selected pod on this node' : 'destination pod'} has a ${proto.toUpperCase()} port named "${port.port}"; nothing is allowed to that port`,
              });
          } else {
            const from = typeof port.port === 'number' ? port.port : 0;
            const to = typeof port.port === 'number' ? (port.endPort ?? port.port) : 65535;
            (numeric.get(proto) ?? numeric.set(proto, []).get(proto)!).push([from, to]);
          }
        }
        for (const [proto, ranges] of numeric) {
          const name = setName(proto);
          const els = normalize(ranges).map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
          state.sets.set(name, { spec: { type: 'inet_service', flags: ['interval'] }, elements: new Map(els.map((e) => [e, undefined])) });
          chain.push(`${match}meta l4proto ${proto} th dport @${name} ${verdict}`);
        }
        if (hasNamed) {
          const name = setName('named');
          state.sets.set(name, { spec: { type: 'ipv4_addr . inet_proto . inet_service' }, elements: named });
          chain.push(`${match}ip daddr . meta l4proto . th dport @${name} ${verdict}`);
        }
      });
      state.chains.set(policyChain(key, dir), { rules: chain });
      for (const p of selected) (selecting[dir].get(p.ip) ?? selecting[dir].set(p.ip, []).get(p.ip)!).push(key);
    };

    if (types.ingress) compileRules('i', (policy.spec?.ingress ?? []).map((r) => ({ ports: r.ports, peers: r.from })));
    if (types.egress) compileRules('e', (policy.spec?.egress ?? []).map((r) => ({ ports: r.ports, peers: r.to })));
  }

  // per local pod: a verdict map element to the chain of its combination of policies
  for (const [dir, map] of [['i', MAP_INGRESS], ['e', MAP_EGRESS]] as const) {
    const elements = new Map<string, string>();
    for (const [ip, keys] of selecting[dir]) {
      const chain = `np-${dir}-${hash(keys.join('\n'))}`;
      if (!state.chains.has(chain)) state.chains.set(chain, { rules: [...keys.map((k) => `jump ${policyChain(k, dir)}`), 'drop'] });
      elements.set(ip, `goto ${chain}`);
    }
    state.sets.set(map, { spec: { type: 'ipv4_addr : verdict' }, map: true, elements });
  }
  state.chains.set(INGRESS_CHAIN, { rules: [`ip daddr vmap @${MAP_INGRESS}`, 'accept'] });
  state.chains.set(FORWARD_CHAIN, {
    base: { type: 'filter', hook: 'forward', priority: input.priority ?? 0 },
    rules: ['ct state established,related accept', `ip saddr vmap @${MAP_EGRESS}`, `jump ${INGRESS_CHAIN}`],
  });
  return { state, warnings, stats: { policies, ingressPods: selecting.i.size, egressPods: selecting.e.size } };
}
