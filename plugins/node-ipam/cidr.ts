// IPv4 CIDRs as numbers, and the cluster CIDR cut into equal blocks (kube-controller-manager's
// cidrset): block i of 10.244.0.0/16 at mask size 24 is 10.244.i.0/24.

import { formatCIDR, maskOf, parseCIDR, type Ipv4Cidr } from '@skiff/api';

// the address arithmetic lives in @skiff/api (service IPAM computes with it too)
export { formatCIDR, formatIPv4, maskOf, parseCIDR, parseIPv4, type Ipv4Cidr } from '@skiff/api';

/** Blocks may be at most 2^16 per cluster CIDR (kube's clusterSubnetMaxDiff). */
export const MAX_BLOCK_BITS = 16;

/** parseCIDR, or undefined instead of an error. */
export function tryParseCIDR(s: unknown): Ipv4Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  try {
    return parseCIDR(s);
  } catch {
    return undefined;
  }
}

/** Number of addresses in the network (2^(32-prefix)). */
export const sizeOf = (c: Ipv4Cidr): number => 2 ** (32 - c.prefix);

/** The last address of the network. */
export const lastOf = (c: Ipv4Cidr): number => c.network + sizeOf(c) - 1;

/** Whether `inner` lies entirely within `outer`. */
export function contains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && ((inner.network & maskOf(outer.prefix)) >>> 0) === outer.network;
}

/** Whether the two networks share any address. */
export function overlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network <= lastOf(b) && b.network <= lastOf(a);
}

/** The cluster CIDR cut into blocks of `/maskSize`. */
export class BlockSet {
  readonly cluster: Ipv4Cidr;
  readonly maskSize: number;
  readonly count: number;

  constructor(clusterCIDR: string | Ipv4Cidr, maskSize: number) {
    this.cluster = typeof clusterCIDR === 'string' ? parseCIDR(clusterCIDR) : clusterCIDR;
    if (!Number.isInteger(maskSize) || maskSize < this.cluster.prefix || maskSize > 32) {
      throw new Error(`node CIDR mask size ${maskSize} must be an integer between the cluster CIDR's prefix length (${this.cluster.prefix}) and 32`);
    }
    if (maskSize - this.cluster.prefix > MAX_BLOCK_BITS) {
      throw new Error(
        `node CIDR mask size ${maskSize} is too large for cluster CIDR ${formatCIDR(this.cluster)}: at most ${MAX_BLOCK_BITS} bits more than its prefix (${this.cluster.prefix + MAX_BLOCK_BITS})`,
      );
    }
    this.maskSize = maskSize;
    this.count = 2 ** (maskSize - this.cluster.prefix);
  }

  /** Block `index` as a CIDR. */
  block(index: number): Ipv4Cidr {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`block index ${index} out of range [0, ${this.count})`);
    return { network: this.cluster.network + index * 2 ** (32 - this.maskSize), prefix: this.maskSize };
  }

  /** Block `index` as text ("10.244.3.0/24"). */
  blockCIDR(index: number): string {
    return formatCIDR(this.block(index));
  }

  /** The index of `cidr` when it is exactly one block (right prefix, inside the cluster CIDR), else undefined. */
  indexOf(cidr: Ipv4Cidr): number | undefined {
    if (cidr.prefix !== this.maskSize || !contains(this.cluster, cidr)) return undefined;
    return (cidr.network - this.cluster.network) / 2 ** (32 - this.maskSize);
  }

  /**
   * The blocks any part of `cidr` falls in, as an index range [first, last] (a /23 covers two /24
   * blocks, a /25 one), clipped to the cluster CIDR; undefined when they do not overlap at all.
   */
  covering(cidr: Ipv4Cidr): { first: number; last: number } | undefined {
    if (!overlaps(this.cluster, cidr)) return undefined;
    const size = 2 ** (32 - this.maskSize);
    const from = Math.max(cidr.network, this.cluster.network) - this.cluster.network;
    const to = Math.min(lastOf(cidr), lastOf(this.cluster)) - this.cluster.network;
    return { first: Math.floor(from / size), last: Math.floor(to / size) };
  }
}
