// Which routes a node wants (flannel's host-gw backend): for every other Node with an IPv4 pod CIDR
// and an IPv4 InternalIP, `<podCIDR> via <InternalIP>`. A Node without either is left out (node
// IPAM has not given it a CIDR yet, or its agent has not reported its address); two Nodes claiming
// one CIDR (a moment during a re-assignment) give it to the first by name, so the result is stable.
import { parseCIDR, parseIPv4, formatIPv4, type Node } from '@skiff/api';

export interface NodeRoute {
  /** the network, canonical (`10.244.1.0/24`) */
  dst: string;
  via: string;
  node: string;
}

function podCIDRs(n: Node): string[] {
  const spec = n.spec ?? {};
  return spec.podCIDRs?.length ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : [];
}

export function internalIP(n: Node): string | undefined {
  return (n.status?.addresses ?? []).find((a) => a.type === 'InternalIP' && parseIPv4(a.address) !== undefined)?.address;
}

/** The routes this node (`self`) wants to the other nodes' pods, sorted by destination. */
export function desiredRoutes(nodes: Iterable<Node>, self: string): NodeRoute[] {
  const byDst = new Map<string, NodeRoute>();
  const sorted = [...nodes].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const selfIP = sorted.find((n) => n.metadata.name === self);
  const ownIP = selfIP && internalIP(selfIP);
  for (const n of sorted) {
    const name = n.metadata.name ?? '';
    if (name === self) continue;
    const via = internalIP(n);
    if (!via || via === ownIP) continue;
    for (const c of podCIDRs(n)) {
      let dst: string;
      try {
        const p = parseCIDR(c);
        dst = `${formatIPv4(p.network)}/${p.prefix}`;
      } catch {
        continue; // IPv6 or malformed: not routed here
      }
      if (!byDst.has(dst)) byDst.set(dst, { dst, via, node: name });
    }
  }
  return [...byDst.values()].sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
}
