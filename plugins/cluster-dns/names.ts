// DNS names the cluster zone uses: reverse-lookup names of IPs (in-addr.arpa / ip6.arpa), the
// dashed form of an IP that names an endpoint without a hostname (CoreDNS's endpointHostname), and
// the normalised form of a name as the zone keys it (lower case, no trailing dot).
import { isIP } from 'node:net';

/** Lower case, without the trailing dot: how the zone keys names. */
export function normalizeName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n.toLowerCase();
}

/** The full 8 groups of 4 hex digits of an IPv6 address (undefined when it is not one). */
export function expandIPv6(ip: string): string[] | undefined {
  if (isIP(ip) !== 6) return undefined;
  let s = ip.toLowerCase();
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    s = s.slice(0, v4.index) + ((b[0] << 8) | b[1]).toString(16) + ':' + ((b[2] << 8) | b[3]).toString(16);
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0'));
}

/** The PTR owner name of an IP: 4.3.2.1.in-addr.arpa, or the nibble form under ip6.arpa. */
export function reverseName(ip: string): string | undefined {
  const fam = isIP(ip);
  if (fam === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (fam === 6) return `${expandIPv6(ip)!.join('').split('').reverse().join('.')}.ip6.arpa`;
  return undefined;
}

/** An endpoint's name label when it has no hostname: its IP with dashes (10-0-0-1; IPv6 colons too). */
export function dashedIP(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

export const isIPv6 = (ip: string) => isIP(ip) === 6;
export const isIPv4 = (ip: string) => isIP(ip) === 4;
