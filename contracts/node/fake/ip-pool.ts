// Pod addresses of the fake runtime, as host-local IPAM hands them out: from one IPv4 range (the
// node's podCIDR), skipping the network address, the gateway (.1) and the broadcast address, the
// lowest free one first after the last given (host-local's round robin), released at teardown.
import { formatIPv4, parseCIDR, parseIPv4 } from '@skiff/api';

export class IpPool {
  readonly cidr: string;
  private readonly first: number;
  private readonly last: number;
  private readonly used = new Set<number>();
  private next: number;

  constructor(cidr: string) {
    const c = parseCIDR(cidr);
    if (c.prefix > 30) throw new Error(`pod CIDR ${cidr} is too small: it leaves no address beside the gateway`);
    this.cidr = `${formatIPv4(c.network)}/${c.prefix}`;
    const size = 2 ** (32 - c.prefix);
    this.first = c.network + 2;
    this.last = c.network + size - 2;
    this.next = this.first;
  }

  get inUse(): number {
    return this.used.size;
  }

  /** A free address, or undefined when the range is exhausted. */
  allocate(): string | undefined {
    const n = this.last - this.first + 1;
    for (let i = 0; i < n; i++) {
      const a = this.first + ((this.next - this.first + i) % n);
      if (this.used.has(a)) continue;
      this.used.add(a);
      this.next = a === this.last ? this.first : a + 1;
      return formatIPv4(a);
    }
    return undefined;
  }

  /** Marks `ip` as in use (an address a sandbox kept across a change of range); false when it is not in the range. */
  claim(ip: string): boolean {
    if (!this.contains(ip)) return false;
    this.used.add(parseIPv4(ip)!);
    return true;
  }

  /** Back to the pool (an address of another range is ignored). */
  release(ip: string): void {
    const a = parseIPv4(ip);
    if (a !== undefined) this.used.delete(a);
  }

  /** Whether `ip` is one of this range's addresses. */
  contains(ip: string): boolean {
    const a = parseIPv4(ip);
    return a !== undefined && a >= this.first && a <= this.last;
  }
}
