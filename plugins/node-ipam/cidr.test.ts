import { describe, expect, it } from 'vitest';
import { BlockSet, contains, formatCIDR, formatIPv4, maskOf, overlaps, parseCIDR, parseIPv4, tryParseCIDR } from './cidr.ts';

describe('IPv4 addresses', () => {
  it('parse and format round-trip, the extremes included', () => {
    for (const s of ['0.0.0.0', '10.244.1.7', '192.168.255.1', '255.255.255.255']) expect(formatIPv4(parseIPv4(s)!)).toBe(s);
    expect(parseIPv4('10.244.1.7')).toBe(0x0af40107);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
  });

  it('reject what is not a dotted quad', () => {
    for (const s of ['', '10.244.1', '10.244.1.7.1', '256.1.1.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '1.2.3.4 ', '::1']) {
      expect(parseIPv4(s), s).toBeUndefined();
    }
  });

  it('masks', () => {
    expect(maskOf(0)).toBe(0);
    expect(maskOf(8)).toBe(0xff000000);
    expect(maskOf(24)).toBe(0xffffff00);
    expect(maskOf(32)).toBe(0xffffffff);
  });
});

describe('CIDRs', () => {
  it('parse clears host bits, like Go net.ParseCIDR', () => {
    expect(parseCIDR('10.244.0.0/16')).toEqual({ network: 0x0af40000, prefix: 16 });
    expect(formatCIDR(parseCIDR('10.244.1.7/24'))).toBe('10.244.1.0/24');
    expect(formatCIDR(parseCIDR('10.244.1.7/32'))).toBe('10.244.1.7/32');
    expect(formatCIDR(parseCIDR('1.2.3.4/0'))).toBe('0.0.0.0/0');
  });

  it('reject bad ones with the text in the error', () => {
    for (const s of ['10.244.0.0', '10.244.0.0/33', '10.244.0.0/-1', '10.244.0.0/', '10.244.0.0/24/1', '10.244.0.0/08', 'fd00::/64', 'x/24']) {
      expect(() => parseCIDR(s), s).toThrow(`invalid IPv4 CIDR "${s}"`);
      expect(tryParseCIDR(s)).toBeUndefined();
    }
    expect(tryParseCIDR(42)).toBeUndefined();
  });

  it('containment and overlap', () => {
    const c = parseCIDR('10.244.0.0/16');
    expect(contains(c, parseCIDR('10.244.3.0/24'))).toBe(true);
    expect(contains(c, parseCIDR('10.244.0.0/16'))).toBe(true);
    expect(contains(c, parseCIDR('10.245.0.0/24'))).toBe(false);
    expect(contains(c, parseCIDR('10.244.0.0/15'))).toBe(false);
    expect(overlaps(c, parseCIDR('10.244.0.0/15'))).toBe(true);
    expect(overlaps(c, parseCIDR('10.245.0.0/24'))).toBe(false);
    expect(overlaps(c, parseCIDR('10.244.255.128/25'))).toBe(true);
  });
});

describe('BlockSet', () => {
  it('cuts 10.244.0.0/16 into 256 /24 blocks: index ↔ CIDR', () => {
    const b = new BlockSet('10.244.0.0/16', 24);
    expect(b.count).toBe(256);
    expect(b.blockCIDR(0)).toBe('10.244.0.0/24');
    expect(b.blockCIDR(3)).toBe('10.244.3.0/24');
    expect(b.blockCIDR(255)).toBe('10.244.255.0/24');
    for (const i of [0, 1, 77, 255]) expect(b.indexOf(b.block(i))).toBe(i);
    expect(() => b.block(256)).toThrow(RangeError);
    expect(() => b.block(-1)).toThrow(RangeError);
  });

  it('indexOf is undefined unless the CIDR is exactly one block of the cluster CIDR', () => {
    const b = new BlockSet('10.244.0.0/16', 24);
    expect(b.indexOf(parseCIDR('10.245.0.0/24'))).toBeUndefined();
    expect(b.indexOf(parseCIDR('10.244.0.0/23'))).toBeUndefined();
    expect(b.indexOf(parseCIDR('10.244.0.0/25'))).toBeUndefined();
  });

  it('odd sizes: a /20 in /26 blocks, a /8 in /24 blocks (the 16-bit maximum), /32 blocks', () => {
    const a = new BlockSet('192.168.16.0/20', 26);
    expect(a.count).toBe(64);
    expect(a.blockCIDR(5)).toBe('192.168.17.64/26');
    expect(a.indexOf(parseCIDR('192.168.17.64/26'))).toBe(5);
    const b = new BlockSet('10.0.0.0/8', 24);
    expect(b.count).toBe(65536);
    expect(b.blockCIDR(65535)).toBe('10.255.255.0/24');
    const c = new BlockSet('10.1.2.0/30', 32);
    expect([0, 1, 2, 3].map((i) => c.blockCIDR(i))).toEqual(['10.1.2.0/32', '10.1.2.1/32', '10.1.2.2/32', '10.1.2.3/32']);
    // the top of the address space does not overflow
    const d = new BlockSet('255.255.0.0/16', 24);
    expect(d.blockCIDR(255)).toBe('255.255.255.0/24');
    expect(d.indexOf(parseCIDR('255.255.255.0/24'))).toBe(255);
  });

  it('rejects mask sizes below the cluster prefix, above 32, or more than 16 bits finer', () => {
    expect(() => new BlockSet('10.244.0.0/16', 15)).toThrow(/between the cluster CIDR's prefix length \(16\) and 32/);
    expect(() => new BlockSet('10.244.0.0/16', 33)).toThrow(/between/);
    expect(() => new BlockSet('10.0.0.0/8', 25)).toThrow(/at most 16 bits more than its prefix \(24\)/);
    expect(() => new BlockSet('nope', 24)).toThrow(/invalid IPv4 CIDR "nope"/);
  });

  it('covering: the blocks a CIDR touches, clipped to the cluster CIDR', () => {
    const b = new BlockSet('10.244.0.0/16', 24);
    expect(b.covering(parseCIDR('10.244.4.0/23'))).toEqual({ first: 4, last: 5 });
    expect(b.covering(parseCIDR('10.244.4.128/25'))).toEqual({ first: 4, last: 4 });
    expect(b.covering(parseCIDR('10.244.0.0/15'))).toEqual({ first: 0, last: 255 });
    expect(b.covering(parseCIDR('10.0.0.0/8'))).toEqual({ first: 0, last: 255 });
    expect(b.covering(parseCIDR('10.245.0.0/24'))).toBeUndefined();
  });
});
