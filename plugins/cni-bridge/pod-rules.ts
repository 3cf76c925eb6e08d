// The network plugin's part of `table inet skiff` (objects prefixed `pod-`), in place of the bridge
// plugin's ipMasq, portmap and firewall: fixed chains with one rule each, and per pod only set and
// map elements (constant-time lookups; a pod is a few elements in one transaction, never a rule):
//
//   pod-ips            this node's pod addresses (pods with a podIP that are not hostNetwork)
//   pod-hostports      `proto . port : podIP . containerPort`, hostPorts without a hostIP
//   pod-hostip-ports   `hostIP . proto . port : podIP . containerPort`, hostPorts with one
//   pod-hairpin        `podIP . podIP` for pods with hostPorts (a pod reaching itself through one)
//
//   pod-dnat-prerouting / pod-dnat-output (nat, dstnat): to a local address (not loopback):
//       hostIP-specific mappings first, then the any-address ones: dnat to the pod
//   pod-nat-postrouting (nat, srcnat):
//       ct status dnat  ip saddr . ip daddr @pod-hairpin   masquerade   (hairpin through a hostPort)
//       ip saddr <clusterCIDR> ip daddr != <clusterCIDR>  masquerade
//         (pods' traffic leaving the cluster network: pod-to-pod across nodes keeps its address)
//   pod-forward (filter, forward): accounting of the pods' forwarded traffic by the pod-ips set
//       (counters), and the place later per-pod verdicts (NetworkPolicy) hook in. It decides
//       nothing today: an accept here cannot override a drop in another table (Docker's iptables
//       FORWARD policy DROP, iptables-nft's `table ip filter`): forward-accept.ts opens the cluster
//       CIDR there with one rule pair at agent start.
//
// hostPorts on 127.0.0.1 (portmap's localhost DNAT, which needs route_localnet) are not served.
import { parseIPv4 } from '@skiff/api';
import type { BaseChain, SetSpec } from '@skiff/client/nftables';

export const POD_PREFIX = 'pod-';
export const SET_IPS = 'pod-ips';
export const MAP_HOSTPORTS = 'pod-hostports';
export const MAP_HOSTIP_PORTS = 'pod-hostip-ports';
export const SET_HAIRPIN = 'pod-hairpin';
export const ELEMENT_SETS = [SET_IPS, MAP_HOSTPORTS, MAP_HOSTIP_PORTS, SET_HAIRPIN] as const;
export type ElementSet = (typeof ELEMENT_SETS)[number];

export interface PodRuleOptions {
  /** every node's pods (default 10.244.0.0/16): traffic leaving it is masqueraded */
  clusterCIDR: string;
}

export interface HostPort {
  protocol: 'tcp' | 'udp' | 'sctp';
  hostPort: number;
  containerPort: number;
  /** a specific node address ('' or 0.0.0.0: every address) */
  hostIP?: string;
}

/** What the network plugin needs of a pod. */
export interface PodNet {
  /** `namespace/name`, for messages */
  key: string;
  ip: string;
  hostPorts: HostPort[];
  /** ISO time; the newer pod wins a hostPort two pods ask for */
  created: string;
}

export interface FixedChain {
  name: string;
  base: BaseChain;
  rules: string[];
}

export function fixedObjects(o: PodRuleOptions): { sets: [ElementSet, SetSpec][]; chains: FixedChain[] } {
  const dnat = [
    'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto { tcp, udp, sctp } dnat ip addr . port to ip daddr . meta l4proto . th dport map @pod-hostip-ports',
    'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto { tcp, udp, sctp } dnat ip addr . port to meta l4proto . th dport map @pod-hostports',
  ];
  return {
    sets: [
      [SET_IPS, { type: 'ipv4_addr' }],
      [MAP_HOSTPORTS, { type: 'inet_proto . inet_service : ipv4_addr . inet_service' }],
      [MAP_HOSTIP_PORTS, { type: 'ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service' }],
      [SET_HAIRPIN, { type: 'ipv4_addr . ipv4_addr' }],
    ],
    chains: [
      { name: 'pod-dnat-prerouting', base: { type: 'nat', hook: 'prerouting', priority: -100 }, rules: dnat },
      { name: 'pod-dnat-output', base: { type: 'nat', hook: 'output', priority: -100 }, rules: dnat },
      {
        name: 'pod-nat-postrouting',
        base: { type: 'nat', hook: 'postrouting', priority: 100 },
        rules: [
          `ct status dnat ip saddr . ip daddr @${SET_HAIRPIN} masquerade`,
          `ip saddr ${o.clusterCIDR} ip daddr != ${o.clusterCIDR} masquerade`,
        ],
      },
      {
        name: 'pod-forward',
        base: { type: 'filter', hook: 'forward', priority: 0 },
        rules: [`ip saddr @${SET_IPS} counter`, `ip daddr @${SET_IPS} counter`],
      },
    ],
  };
}

const ANY = new Set(['', '0.0.0.0']);

/**
 * The elements of every set and map for these pods. Two pods asking for the same hostPort (and
 * hostIP): the newer one gets it (the scheduler keeps that from happening; a pod being replaced can
 * overlap its successor) and the other is named in `conflicts`.
 */
export function podElements(pods: Iterable<PodNet>): { elements: Record<ElementSet, Set<string>>; conflicts: string[] } {
  const elements = Object.fromEntries(ELEMENT_SETS.map((s) => [s, new Set<string>()])) as Record<ElementSet, Set<string>>;
  const owners = new Map<string, PodNet>();
  const sorted = [...pods].sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.key < b.key ? -1 : 1));
  const conflicts: string[] = [];
  for (const p of sorted) {
    elements[SET_IPS].add(p.ip);
    if (p.hostPorts.length) elements[SET_HAIRPIN].add(`${p.ip} . ${p.ip}`);
    for (const hp of p.hostPorts) {
      const any = ANY.has(hp.hostIP ?? '');
      const key = any ? `${hp.protocol} . ${hp.hostPort}` : `${hp.hostIP} . ${hp.protocol} . ${hp.hostPort}`;
      const owner = owners.get(key);
      if (owner) {
        if (owner !== p) conflicts.push(`${p.key} asks for hostPort ${key.replace(/ \. /g, '/')} that ${owner.key} has`);
        continue;
      }
      owners.set(key, p);
      elements[any ? MAP_HOSTPORTS : MAP_HOSTIP_PORTS].add(`${key} : ${p.ip} . ${hp.containerPort}`);
    }
  }
  return { elements, conflicts };
}

/** A map element's key (what `delete element` takes): everything before ` : `. */
export const elementKey = (e: string) => {
  const i = e.indexOf(' : ');
  return i < 0 ? e : e.slice(0, i);
};

interface PodLike {
  metadata: { namespace?: string; name?: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { hostNetwork?: boolean; containers?: { ports?: { hostPort?: number; containerPort?: number; protocol?: string; hostIP?: string }[] }[] };
  status?: { phase?: string; podIP?: string; podIPs?: { ip: string }[] };
}

const isIPv4 = (s: string | undefined): s is string => !!s && parseIPv4(s) !== undefined;

/** The network plugin's view of a pod, or undefined when the pod has no pod-network address (yet, or any more). */
export function podNetOf(pod: PodLike): PodNet | undefined {
  if (pod.spec?.hostNetwork) return undefined;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined; // its sandbox (and address) are gone
  const ip = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)].find(isIPv4);
  if (!ip) return undefined;
  const hostPorts: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || !Number.isInteger(p.hostPort) || p.hostPort < 1 || p.hostPort > 65535) continue;
      const protocol = (p.protocol ?? 'TCP').toLowerCase();
      if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') continue;
      if (p.hostIP && !ANY.has(p.hostIP) && !isIPv4(p.hostIP)) continue; // IPv6 host addresses: not in these IPv4 maps
      hostPorts.push({ protocol, hostPort: p.hostPort, containerPort: p.containerPort ?? p.hostPort, ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
    }
  }
  return { key: `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`, ip, hostPorts, created: pod.metadata.creationTimestamp ?? '' };
}
