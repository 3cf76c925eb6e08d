// The ranges Service IPs and node ports come from, as kube-apiserver's allocators see them: an IPv4
// service CIDR without its network and broadcast addresses, and a node port range. Both are split
// into a static band (the low end, for explicit requests) and a dynamic band that random allocation
// tries first (kube's ServiceIPStaticSubrange and ServiceNodePortStaticSubrange, GA since 1.26/1.29),
// so that a user asking for a low address or port rarely finds it taken.
import { formatCIDR, formatIPv4, parseCIDR, parseIPv4, type Ipv4Cidr } from '@skiff/api';

/** A contiguous range of numbers [first, last] with its static band [first, first + staticSize). */
export interface NumberRange {
  first: number;
  last: number;
  /** how many numbers at the low end random allocation leaves for last */
  staticSize: number;
  /** numbers random allocation never picks (an explicit request may take them) */
  reserved: ReadonlySet<number>;
}

/** kube's calculateRangeOffset: size/step, at least `min`, at most `max` (0 when the range is smaller than `min`). */
export function staticBandSize(size: number, min: number, max: number, step: number): number {
  if (size < min) return 0;
  return Math.max(min, Math.min(max, Math.floor(size / step)));
}

export class ServiceIPRange implements NumberRange {
  readonly cidr: Ipv4Cidr;
  readonly first: number;
  readonly last: number;
  readonly staticSize: number;
  readonly reserved: ReadonlySet<number>;

  /** `cidr` like "10.96.0.0/12"; IPv4 with at least 4 addresses (/30). */
  constructor(cidr: string) {
    this.cidr = parseCIDR(cidr);
    if (this.cidr.prefix > 30) throw new Error(`service CIDR ${cidr} is too small: it needs at least 4 addresses (/30)`);
    const size = 2 ** (32 - this.cidr.prefix);
    // never the network address nor the broadcast address
    this.first = this.cidr.network + 1;
    this.last = this.cidr.network + size - 2;
    this.staticSize = staticBandSize(this.last - this.first + 1, 16, 256, 16);
    // the `kubernetes` Service (first address) and cluster DNS (.10) are asked for by address
    this.reserved = new Set([this.kubernetesIP, this.dnsIP].map((ip) => parseIPv4(ip)!).filter((n) => n <= this.last));
  }

  toString(): string {
    return formatCIDR(this.cidr);
  }

  /** The first address: the `kubernetes` Service's. */
  get kubernetesIP(): string {
    return formatIPv4(this.first);
  }

  /** The tenth address: cluster DNS's (kube-dns), by convention. */
  get dnsIP(): string {
    return formatIPv4(this.cidr.network + 10);
  }

  /** The address as a number when it lies in the allocatable range, else undefined. */
  offsetOf(ip: string): number | undefined {
    const n = parseIPv4(ip);
    return n !== undefined && n >= this.first && n <= this.last ? n : undefined;
  }

  format(n: number): string {
    return formatIPv4(n);
  }
}

export class NodePortRange implements NumberRange {
  readonly first: number;
  readonly last: number;
  readonly staticSize: number;
  readonly reserved: ReadonlySet<number> = new Set();

  /** `range` like "30000-32767" (kube's --service-node-port-range; "30000+2767" as well). */
  constructor(range: string) {
    const m = /^(\d{1,5})([-+])(\d{1,5})$/.exec(range.trim());
    if (!m) throw new Error(`invalid node port range "${range}" (e.g. 30000-32767)`);
    const base = Number(m[1]);
    const last = m[2] === '-' ? Number(m[3]) : base + Number(m[3]);
    if (base < 1 || last > 65535 || last < base) throw new Error(`invalid node port range "${range}": ports go from 1 to 65535, low to high`);
    this.first = base;
    this.last = last;
    this.staticSize = staticBandSize(last - base + 1, 16, 128, 32);
  }

  toString(): string {
    return `${this.first}-${this.last}`;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.first && port <= this.last;
  }
}

/**
 * Candidates for a random allocation, in the order to try them: random numbers of the dynamic band,
 * then of the static band, skipping reserved numbers and those `taken` says are known to be in use;
 * each number at most once. After `randomTries` random picks per band, the band is walked from a
 * random start, so a nearly full range is still searched to the end.
 */
export function* candidates(r: NumberRange, taken: (n: number) => boolean, randomTries = 16): Generator<number> {
  const seen = new Set<number>();
  const bands: [number, number][] = [];
  const dynFirst = r.first + r.staticSize;
  if (dynFirst <= r.last) bands.push([dynFirst, r.last]);
  if (r.staticSize > 0) bands.push([r.first, Math.min(r.last, dynFirst - 1)]);
  for (const [lo, hi] of bands) {
    const size = hi - lo + 1;
    const ok = (n: number) => !seen.has(n) && !r.reserved.has(n) && !taken(n);
    for (let i = 0; i < randomTries; i++) {
      const n = lo + Math.floor(Math.random() * size);
      if (!ok(n)) continue;
      seen.add(n);
      yield n;
    }
    const start = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i++) {
      const n = lo + ((start + i) % size);
      if (!ok(n)) continue;
      seen.add(n);
      yield n;
    }
  }
}
