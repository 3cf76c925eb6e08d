import { describe, expect, it } from 'vitest';
import { dashedIP, expandIPv6, normalizeName, reverseName } from './names.ts';

describe('names', () => {
  it('reverse names of IPv4 and IPv6 (nibbles, :: and an embedded IPv4 expanded)', () => {
    expect(reverseName('10.96.0.10')).toBe('10.0.96.10.in-addr.arpa');
    expect(reverseName('2001:db8::1')).toBe('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    expect(expandIPv6('::ffff:10.0.0.1')).toEqual(['0000', '0000', '0000', '0000', '0000', 'ffff', '0a00', '0001']);
    expect(expandIPv6('FD00::')).toEqual(['fd00', '0000', '0000', '0000', '0000', '0000', '0000', '0000']);
    expect(reverseName('not-an-ip')).toBeUndefined();
  });

  it('dashed IPs and normalised names', () => {
    expect(dashedIP('10.244.1.7')).toBe('10-244-1-7');
    expect(dashedIP('fd00::7')).toBe('fd00--7');
    expect(normalizeName('Web.Default.SVC.cluster.local.')).toBe('web.default.svc.cluster.local');
  });
});
