// The proxy's part of `table inet skiff`, as kube-proxy's nftables mode (KEP-3866) lays it out:
//
//   svc-nat-prerouting / svc-nat-output (nat, dstnat) -> svc-services:
//     ip daddr . meta l4proto . th dport vmap @svc-ips             ClusterIP -> goto the Service's chain
//     fib daddr type local ip daddr @svc-node-ips
//       meta l4proto . th dport vmap @svc-nodeports                NodePort on this node's addresses
//   svc-c-<hash>  the Service port's endpoints (traffic policy Cluster): masquerade mark for
//                 ClusterIP traffic from outside the cluster CIDR, then one rule
//                 dnat ip addr . port to numgen random mod N map { i : ip . port }
//   svc-l-<hash>  the same, this node's endpoints only (internal/externalTrafficPolicy Local)
//   svc-x-<hash>  NodePort traffic with externalTrafficPolicy Local: cluster pods to svc-c, others
//                 (unmasqueraded) to svc-l or dropped. NodePorts with policy Cluster go to svc-c
//                 straight from the map; svc-services marks them for masquerade (svc-nodeports-masq)
//   With sessionAffinity ClientIP (kube-proxy's layout): svc-c / svc-l first send a known client to
//   its endpoint (`ip saddr @svc-a-... goto svc-e-...`), then
//                 numgen random mod N vmap { i : goto svc-e-... }
//   svc-e-<hash>  one endpoint: affinity update, dnat
//   svc-a-<hash>  one endpoint's ClientIP affinity (a dynamic set with timeout)
//   Hairpin (a pod reaching itself through its Service) is masqueraded in postrouting: the set
//   svc-hairpin holds `ip . ip` for every endpoint address.
//   Per-endpoint chains only where affinity needs them: nft (1.0.6) loads every chain of the table
//   for a transaction that adds rules, so chains are what a sync's cost grows with.
//   svc-filter-{input,forward,output} (filter, priority -110, before DNAT in output and before
//     forwarding) -> svc-noep-check: Services without endpoints -> reject (TCP reset / ICMP port
//     unreachable), or drop (policy Local with none local)
//   svc-nat-postrouting (nat, srcnat) -> svc-masq: masquerade what carries the mark bit
//
// Every object's name starts with `svc-`: the other network plugins share the table with their own
// prefixes. Base chains run at dstnat / srcnat / -110, where the other plugins can order theirs.
import type { BaseChain, SetSpec } from '@skiff/client/nftables';
import { safeName } from '@skiff/client/nftables';
import { shortHash, type Endpoint, type ServicePortState } from './model.ts';

export interface RuleOptions {
  /** pod addresses; traffic from elsewhere to a ClusterIP, or to a NodePort with policy Cluster, is masqueraded */
  clusterCIDR?: string;
  /** masquerade all Service traffic */
  masqueradeAll: boolean;
  /** the mark bit for masquerade (kube-proxy: 14, 0x4000) */
  masqueradeBit: number;
}

export const PREFIX = 'svc-';
export const MAP_IPS = 'svc-ips';
export const MAP_NODEPORTS = 'svc-nodeports';
export const MAP_NOEP_IPS = 'svc-noep-ips';
export const MAP_NOEP_NODEPORTS = 'svc-noep-nodeports';
export const SET_NODE_IPS = 'svc-node-ips';
export const SET_NODEPORTS_MASQ = 'svc-nodeports-masq';
export const SET_HAIRPIN = 'svc-hairpin';
/** the maps and sets Service ports add elements to */
export const ELEMENT_SETS = [MAP_IPS, MAP_NODEPORTS, MAP_NOEP_IPS, MAP_NOEP_NODEPORTS, SET_NODEPORTS_MASQ] as const;
const SERVICES = 'svc-services';
const MARK_MASQ = 'svc-mark-masq';
const MASQ = 'svc-masq';
const NOEP_CHECK = 'svc-noep-check';
const REJECT = 'svc-reject';

export interface FixedObjects {
  maps: [string, SetSpec][];
  sets: [string, SetSpec][];
  /** regular chains first, then base chains; rules in order */
  chains: { name: string; base?: BaseChain; rules: string[] }[];
}

/** The proxy's fixed skeleton: base chains, dispatch chains, maps. */
export function fixedObjects(o: RuleOptions): FixedObjects {
  const bit = `0x${(1 << o.masqueradeBit).toString(16)}`;
  const filter = (hook: BaseChain['hook']): BaseChain => ({ type: 'filter', hook, priority: -110 });
  return {
    maps: [
      [MAP_IPS, { type: 'ipv4_addr . inet_proto . inet_service : verdict' }],
      [MAP_NODEPORTS, { type: 'inet_proto . inet_service : verdict' }],
      [MAP_NOEP_IPS, { type: 'ipv4_addr . inet_proto . inet_service : verdict' }],
      [MAP_NOEP_NODEPORTS, { type: 'inet_proto . inet_service : verdict' }],
    ],
    sets: [
      [SET_NODE_IPS, { type: 'ipv4_addr' }],
      [SET_NODEPORTS_MASQ, { type: 'inet_proto . inet_service' }],
      [SET_HAIRPIN, { type: 'ipv4_addr . ipv4_addr' }],
    ],
    chains: [
      { name: MARK_MASQ, rules: [`meta mark set meta mark | ${bit}`] },
      { name: MASQ, rules: [`ct status dnat ip saddr . ip daddr @${SET_HAIRPIN} masquerade fully-random`, `meta mark & ${bit} == 0 return`, `meta mark set meta mark ^ ${bit}`, 'masquerade fully-random'] },
      { name: REJECT, rules: ['meta l4proto tcp reject with tcp reset', 'reject'] },
      {
        name: SERVICES,
        rules: [
          `ip daddr . meta l4proto . th dport vmap @${MAP_IPS}`,
          `fib daddr type local ip daddr @${SET_NODE_IPS} meta l4proto . th dport @${SET_NODEPORTS_MASQ}${
            o.masqueradeAll || !o.clusterCIDR ? '' : ` ip saddr != ${o.clusterCIDR}`
          } jump ${MARK_MASQ}`,
          `fib daddr type local ip daddr @${SET_NODE_IPS} meta l4proto . th dport vmap @${MAP_NODEPORTS}`,
        ],
      },
      {
        name: NOEP_CHECK,
        rules: [
          `ip daddr . meta l4proto . th dport vmap @${MAP_NOEP_IPS}`,
          `fib daddr type local ip daddr @${SET_NODE_IPS} meta l4proto . th dport vmap @${MAP_NOEP_NODEPORTS}`,
        ],
      },
      { name: 'svc-nat-prerouting', base: { type: 'nat', hook: 'prerouting', priority: -100 }, rules: [`jump ${SERVICES}`] },
      { name: 'svc-nat-output', base: { type: 'nat', hook: 'output', priority: -100 }, rules: [`jump ${SERVICES}`] },
      { name: 'svc-nat-postrouting', base: { type: 'nat', hook: 'postrouting', priority: 100 }, rules: [`jump ${MASQ}`] },
      { name: 'svc-filter-input', base: filter('input'), rules: [`ct state new jump ${NOEP_CHECK}`] },
      { name: 'svc-filter-forward', base: filter('forward'), rules: [`ct state new jump ${NOEP_CHECK}`] },
      { name: 'svc-filter-output', base: filter('output'), rules: [`ct state new jump ${NOEP_CHECK}`] },
    ],
  };
}

/** The names of the fixed objects (never stale). */
export function fixedNames(o: RuleOptions): Set<string> {
  const f = fixedObjects(o);
  return new Set([...f.maps.map(([n]) => n), ...f.sets.map(([n]) => n), ...f.chains.map((c) => c.name)]);
}

/** Everything one Service port puts in the table. */
export interface PortObjects {
  /** chain name -> rules */
  chains: Map<string, string[]>;
  /** affinity sets: name -> spec */
  sets: Map<string, SetSpec>;
  /** map name -> elements (`key : verdict`) */
  elements: Map<string, string[]>;
}

/** A readable tail for names: the hash keeps them unique when this is cut. */
const label = (s: string) => safeName(s, 150);

export function portObjects(sp: ServicePortState, o: RuleOptions): PortObjects {
  const h = shortHash(sp.key);
  const name = (kind: string, extra = '') => `svc-${kind}-${kind === 'e' || kind === 'a' ? shortHash(sp.key + extra) : h}-${label(sp.key + extra)}`;
  const chains = new Map<string, string[]>();
  const sets = new Map<string, SetSpec>();
  const elements = new Map<string, string[]>(ELEMENT_SETS.map((m) => [m, []]));
  const add = (map: string, e: string) => elements.get(map)!.push(e);

  const epChain = (e: Endpoint) => name('e', `__${e.ip}/${e.port}`);
  const affSet = (e: Endpoint) => name('a', `__${e.ip}/${e.port}/${sp.affinitySeconds}`);
  if (sp.affinitySeconds !== undefined) {
    for (const e of unique([...sp.clusterEndpoints, ...sp.localEndpoints])) {
      sets.set(affSet(e), { type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeoutSeconds: sp.affinitySeconds });
      chains.set(epChain(e), [`update @${affSet(e)} { ip saddr }`, `meta l4proto ${sp.proto} dnat ip to ${e.ip}:${e.port}`]);
    }
  }

  const clusterMasq = (ip: string) =>
    o.masqueradeAll
      ? [`ip daddr ${ip} ${sp.proto} dport ${sp.port} jump ${MARK_MASQ}`]
      : o.clusterCIDR
        ? [`ip daddr ${ip} ${sp.proto} dport ${sp.port} ip saddr != ${o.clusterCIDR} jump ${MARK_MASQ}`]
        : [];
  const pickChain = (eps: Endpoint[]) => {
    const rules = sp.clusterIPs.flatMap(clusterMasq);
    if (sp.affinitySeconds === undefined) {
      rules.push(`meta l4proto ${sp.proto} dnat ip addr . port to numgen random mod ${eps.length} map { ${eps.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(', ')} }`);
      return rules;
    }
    for (const e of eps) rules.push(`ip saddr @${affSet(e)} goto ${epChain(e)}`);
    rules.push(`numgen random mod ${eps.length} vmap { ${eps.map((e, i) => `${i} : goto ${epChain(e)}`).join(', ')} }`);
    return rules;
  };
  const cChain = name('c');
  const lChain = name('l');
  if (sp.clusterEndpoints.length) chains.set(cChain, pickChain(sp.clusterEndpoints));
  if ((sp.internalLocal || sp.externalLocal) && sp.localEndpoints.length) chains.set(lChain, pickChain(sp.localEndpoints));

  // ClusterIP
  const internal = sp.internalLocal ? (sp.localEndpoints.length ? lChain : undefined) : sp.clusterEndpoints.length ? cChain : undefined;
  for (const ip of sp.clusterIPs) {
    const key = `${ip} . ${sp.proto} . ${sp.port}`;
    if (internal) add(MAP_IPS, `${key} : goto ${internal}`);
    else add(MAP_NOEP_IPS, `${key} : ${sp.clusterEndpoints.length ? 'drop' : `goto ${REJECT}`}`);
  }

  // NodePort
  if (sp.nodePort) {
    const key = `${sp.proto} . ${sp.nodePort}`;
    if (!sp.clusterEndpoints.length) add(MAP_NOEP_NODEPORTS, `${key} : goto ${REJECT}`);
    else if (!sp.externalLocal) {
      add(SET_NODEPORTS_MASQ, key);
      add(MAP_NODEPORTS, `${key} : goto ${cChain}`);
    } else {
      // pods of the cluster reach every endpoint; outside clients keep their address, local endpoints only
      const xChain = name('x');
      const rules: string[] = [];
      if (o.clusterCIDR) rules.push(`ip saddr ${o.clusterCIDR} goto ${cChain}`);
      rules.push(sp.localEndpoints.length ? `goto ${lChain}` : 'drop');
      chains.set(xChain, rules);
      add(MAP_NODEPORTS, `${key} : goto ${xChain}`);
    }
  }
  return { chains, sets, elements };
}

function unique(eps: Endpoint[]): Endpoint[] {
  const m = new Map<string, Endpoint>();
  for (const e of eps) m.set(`${e.ip}:${e.port}`, e);
  return [...m.values()];
}
