import { describe, expect, it } from 'vitest';
import { candidates, NodePortRange, ServiceIPRange, staticBandSize } from './ranges.ts';

describe('ServiceIPRange', () => {
  it('leaves out the network and broadcast addresses and knows the well-known ones', () => {
    const r = new ServiceIPRange('10.96.0.0/12');
    expect(r.format(r.first)).toBe('10.96.0.1');
    expect(r.format(r.last)).toBe('10.111.255.254');
    expect(r.kubernetesIP).toBe('10.96.0.1');
    expect(r.dnsIP).toBe('10.96.0.10');
    expect(r.staticSize).toBe(256);
    expect(r.offsetOf('10.96.0.0')).toBeUndefined();
    expect(r.offsetOf('10.111.255.255')).toBeUndefined();
    expect(r.offsetOf('10.112.0.1')).toBeUndefined();
    expect(r.offsetOf('abc')).toBeUndefined();
    expect(r.offsetOf('10.100.1.2')).toBeDefined();
    expect(() => new ServiceIPRange('10.0.0.0/31')).toThrow(/too small/);
    expect(() => new ServiceIPRange('fd00::/108')).toThrow(/invalid IPv4 CIDR/);
  });
  it('never hands out a reserved address at random, even in a tiny range', () => {
    const r = new ServiceIPRange('10.0.0.0/28'); // .1 - .14; .1 and .10 reserved
    const all = [...candidates(r, () => false)].map((n) => r.format(n));
    expect(all).toHaveLength(12);
    expect(new Set(all).size).toBe(12);
    expect(all).not.toContain('10.0.0.1');
    expect(all).not.toContain('10.0.0.10');
    expect(all).not.toContain('10.0.0.0');
    expect(all).not.toContain('10.0.0.15');
  });
});

describe('NodePortRange', () => {
  it('parses kube forms and checks membership', () => {
    const r = new NodePortRange('30000-32767');
    expect([r.first, r.last, r.staticSize]).toEqual([30000, 32767, 86]);
    expect(new NodePortRange('30000+100').last).toBe(30100);
    expect(r.contains(80)).toBe(false);
    expect(r.contains(32767)).toBe(true);
    expect(() => new NodePortRange('abc')).toThrow();
    expect(() => new NodePortRange('32000-31000')).toThrow();
  });
});

describe('candidates', () => {
  it('tries the dynamic band before the static band, and skips what is known taken', () => {
    const r = new NodePortRange('30000-30999'); // static band 31: 30000-30030
    const order = [...candidates(r, (n) => n % 2 === 0)];
    expect(order.every((n) => n % 2 === 1)).toBe(true);
    expect(order).toHaveLength(500);
    const firstStatic = order.findIndex((n) => n < 30031);
    expect(order.slice(firstStatic).every((n) => n < 30031)).toBe(true);
    expect(firstStatic).toBe(500 - 15);
  });
  it('static band sizes follow kube', () => {
    expect(staticBandSize(2768, 16, 128, 32)).toBe(86);
    expect(staticBandSize(10, 16, 256, 16)).toBe(0);
    expect(staticBandSize(1 << 20, 16, 256, 16)).toBe(256);
  });
});
