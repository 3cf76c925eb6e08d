// IPv4 addresses and CIDRs as unsigned 32-bit numbers: what node IPAM (pod CIDRs) and service IPAM
// (cluster IPs) compute with.

/** An IPv4 network: `network` is the address with the host bits cleared (an unsigned 32-bit number). */
export interface Ipv4Cidr {
  network: number;
  prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** "10.244.1.7" → 0x0af40107, or undefined when it is not a dotted-quad IPv4 address (in canonical form: no leading zeros). */
export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The netmask of a prefix length as an unsigned number (/0 → 0, /24 → 0xffffff00). */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parse "a.b.c.d/n". Host bits are cleared, as Go's net.ParseCIDR does for the network
 * ("10.244.1.7/24" → 10.244.1.0/24). Throws a clear error on anything else (IPv6 included).
 */
export function parseCIDR(s: string): Ipv4Cidr {
  const slash = s.indexOf('/');
  const ip = slash < 0 ? undefined : parseIPv4(s.slice(0, slash));
  const prefixText = slash < 0 ? '' : s.slice(slash + 1);
  const prefix = /^(3[0-2]|[12]?\d)$/.test(prefixText) ? Number(prefixText) : NaN;
  if (ip === undefined || Number.isNaN(prefix)) throw new Error(`invalid IPv4 CIDR "${s}"`);
  return { network: (ip & maskOf(prefix)) >>> 0, prefix };
}

export function formatCIDR(c: Ipv4Cidr): string {
  return `${formatIPv4(c.network)}/${c.prefix}`;
}
