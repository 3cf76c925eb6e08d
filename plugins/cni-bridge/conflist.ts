// The CNI network configuration list (conflist) for a node's pods, for the standard plugins
// (Debian containernetworking-plugins 1.1.1 in /usr/lib/cni), as containerd's CRI plugin reads it.
//
// The default chain (`nftables`) is only what every pod needs, and runs no iptables at all:
//
//   bridge    a Linux bridge (`skiff0`) with the gateway address of the node's podCIDR; each pod a
//             veth into it, an address from host-local IPAM, a default route via the gateway;
//             hairpinMode: a pod can reach itself through an address that is DNATed back to it.
//             No ipMasq: the plugin's masquerade is per pod (an iptables chain each, 4-5 iptables
//             runs per ADD) and covers pod-to-pod traffic across nodes too; masquerade, hostPorts
//             and forwarding are the network plugin's nftables objects instead (pod-rules.ts), set
//             elements per pod in one transaction for a burst of pods.
//
// The `legacy` chain (kept to compare against, and for nodes without nft) is the one before:
//
//   bridge    as above, with ipMasq: traffic leaving the pod network is masqueraded.
//   portmap   hostPort mappings: containerd passes them as runtimeConfig.portMappings because of
//             `capabilities: {portMappings: true}`.
//   firewall  (default on) accepts the pods' traffic in the filter FORWARD chain (chain
//             CNI-FORWARD). Needed where FORWARD's policy is DROP — as Docker sets it, and as it
//             is on these machines — since br_netfilter hands bridged traffic to iptables too:
//             without it pods cannot even reach each other over the bridge.
//
// Loopback: containerd 1.6's CRI plugin brings up `lo` itself (go-cni WithLoNetwork: its own
// "cni-loopback" network), so it is not in this list.
//
// cniVersion 1.0.0: the 1.1.1 plugins support 0.1.0 … 1.0.0, and containerd 1.6 is built with libcni
// 1.x (types/100), which reads 1.0.0 conflists and results.
import { isIP } from 'node:net';
import type { CniConflist, CniPluginConf } from '@skiff/node-api';

export const CNI_VERSION = '1.0.0';
export const NETWORK_NAME = 'skiff';
export const DEFAULT_BRIDGE = 'skiff0';
/** host-local's own default */
export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';

export type ConflistChain = 'nftables' | 'legacy';

export interface BridgeNetworkOptions {
  /** the node's pod CIDRs (spec.podCIDRs, or [spec.podCIDR]): one IPv4 and/or one IPv6 */
  podCIDRs: readonly string[];
  bridgeName?: string;
  /** where host-local keeps its leases (one directory per network name inside) */
  dataDir?: string;
  mtu?: number;
  /** `nftables` (default): bridge + host-local only; `legacy`: with ipMasq, portmap and firewall */
  chain?: ConflistChain;
  /** legacy chain: include the firewall plugin (default true) */
  firewall?: boolean;
  /** network name (default "skiff") */
  name?: string;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** Throws unless `s` is "address/prefix" with a prefix that fits the family; returns the family. */
export function cidrFamily(s: string): 4 | 6 {
  const slash = s.indexOf('/');
  const fam = slash > 0 ? isIP(s.slice(0, slash)) : 0;
  const prefix = s.slice(slash + 1);
  if (!fam || !/^\d{1,3}$/.test(prefix) || Number(prefix) > (fam === 4 ? 32 : 128)) throw new Error(`invalid pod CIDR "${s}"`);
  return fam as 4 | 6;
}

/** The node's pod CIDRs from its spec: spec.podCIDRs, else [spec.podCIDR], else []. */
export function podCIDRsOf(spec: unknown): string[] {
  const s = (typeof spec === 'object' && spec !== null ? spec : {}) as { podCIDR?: unknown; podCIDRs?: unknown };
  if (Array.isArray(s.podCIDRs) && s.podCIDRs.length) return s.podCIDRs.filter((c): c is string => typeof c === 'string' && c !== '');
  return typeof s.podCIDR === 'string' && s.podCIDR ? [s.podCIDR] : [];
}

/** The conflist for a node with these pod CIDRs. Throws on a bad CIDR or bridge name. */
export function buildConflist(o: BridgeNetworkOptions): CniConflist {
  if (o.podCIDRs.length === 0) throw new Error('no pod CIDR: the node has no spec.podCIDR yet');
  const families = o.podCIDRs.map(cidrFamily);
  if (new Set(families).size !== families.length) throw new Error(`at most one pod CIDR per IP family, got ${o.podCIDRs.join(', ')}`);
  const bridge = o.bridgeName ?? DEFAULT_BRIDGE;
  if (!IFNAME.test(bridge)) throw new Error(`invalid bridge name "${bridge}": 1-15 characters of letters, digits, "_", "-", "."`);
  if (o.mtu !== undefined && !(Number.isInteger(o.mtu) && o.mtu >= 68)) throw new Error(`invalid MTU ${o.mtu}`);

  const ipam = {
    type: 'host-local',
    ranges: o.podCIDRs.map((subnet) => [{ subnet }]),
    routes: families.map((f) => ({ dst: f === 4 ? '0.0.0.0/0' : '::/0' })),
    dataDir: o.dataDir ?? DEFAULT_DATA_DIR,
  };
  const legacy = o.chain === 'legacy';
  const plugins: CniPluginConf[] = [
    {
      type: 'bridge',
      bridge,
      isGateway: true,
      ipMasq: legacy,
      hairpinMode: true,
      ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
      ipam,
    },
  ];
  if (!legacy) return { cniVersion: CNI_VERSION, name: o.name ?? NETWORK_NAME, plugins };
  plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
  if (o.firewall !== false) plugins.push({ type: 'firewall', backend: 'iptables' });
  return { cniVersion: CNI_VERSION, name: o.name ?? NETWORK_NAME, plugins };
}

/** The conflist as written to disk: 2-space JSON and a final newline. */
export const renderConflist = (c: CniConflist): string => JSON.stringify(c, null, 2) + '\n';
