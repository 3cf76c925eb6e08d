// IPv4 address ranges as nft interval-set elements: a peer set holds pod addresses and ipBlocks
// (a CIDR minus its exceptions) as disjoint ranges, since nft refuses overlapping intervals.
import { formatIPv4, maskOf, parseCIDR, parseIPv4 } from '@skiff/api';

/** An inclusive range of IPv4 addresses (unsigned numbers). */
export type Range = [number, number];

/** "10.0.0.0/8" → [10.0.0.0, 10.255.255.255] (host bits ignored, as Go's ParseCIDR does); undefined for anything else (IPv6). */
export function cidrRange(cidr: string): Range | undefined {
  try {
    const c = parseCIDR(cidr);
    return [c.network, (c.network | ~maskOf(c.prefix)) >>> 0];
  } catch {
    return undefined;
  }
}

/** `block` without the `holes`. */
export function subtract(block: Range, holes: Range[]): Range[] {
  let out: Range[] = [block];
  for (const [hs, he] of holes) {
    const next: Range[] = [];
    for (const [s, e] of out) {
      if (he < s || hs > e) next.push([s, e]);
      else {
        if (hs > s) next.push([s, hs - 1]);
        if (he < e) next.push([he + 1, e]);
      }
    }
    out = next;
  }
  return out;
}

/** Disjoint, sorted, with overlapping and adjacent ranges merged. */
export function normalize(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** An nft element: "10.0.0.7" or "10.0.0.0-10.0.255.255". */
export function rangeElement([s, e]: Range): string {
  return s === e ? formatIPv4(s) : `${formatIPv4(s)}-${formatIPv4(e)}`;
}

/** An IPv4 address as a one-address range; undefined when it is not IPv4. */
export function addressRange(ip: string): Range | undefined {
  const n = parseIPv4(ip);
  return n === undefined ? undefined : [n, n];
}
