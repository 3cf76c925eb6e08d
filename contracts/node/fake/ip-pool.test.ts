import { describe, expect, it } from 'vitest';
import { IpPool } from './ip-pool.ts';

describe('IpPool', () => {
  it('hands out addresses after the gateway, round robin, and none past the broadcast address', () => {
    const p = new IpPool('10.244.3.7/29');
    expect(p.cidr).toBe('10.244.3.0/29');
    const got = [1, 2, 3, 4, 5].map(() => p.allocate());
    expect(got).toEqual(['10.244.3.2', '10.244.3.3', '10.244.3.4', '10.244.3.5', '10.244.3.6']);
    expect(p.allocate()).toBeUndefined();
    p.release('10.244.3.3');
    expect(p.inUse).toBe(4);
    expect(p.allocate()).toBe('10.244.3.3');
    expect(p.contains('10.244.3.6')).toBe(true);
    expect(p.contains('10.244.3.7')).toBe(false);
  });

  it('a released address is not handed out again at once (round robin)', () => {
    const p = new IpPool('10.0.0.0/24');
    const a = p.allocate()!;
    p.release(a);
    expect(p.allocate()).not.toBe(a);
  });

  it('refuses a range too small and what is not an IPv4 CIDR', () => {
    expect(() => new IpPool('10.0.0.0/31')).toThrow(/too small/);
    expect(() => new IpPool('fd00::/64')).toThrow(/invalid IPv4 CIDR/);
  });
});
