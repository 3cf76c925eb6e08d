import { describe, expect, it } from 'vitest';
import { buildConflist, cidrFamily, podCIDRsOf, renderConflist } from './conflist.ts';

describe('buildConflist', () => {
  it('a node with podCIDR 10.244.3.0/24, default chain: bridge (gateway, hairpin, host-local) only — no masquerade, no portmap, no firewall', () => {
    expect(buildConflist({ podCIDRs: ['10.244.3.0/24'] })).toEqual({
      cniVersion: '1.0.0',
      name: 'skiff',
      plugins: [
        {
          type: 'bridge',
          bridge: 'skiff0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.3.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/var/lib/cni/networks' },
        },
      ],
    });
  });

  it('the legacy chain: bridge (gateway, masquerade, hairpin, host-local) → portmap → firewall', () => {
    expect(buildConflist({ podCIDRs: ['10.244.3.0/24'], chain: 'legacy' })).toEqual({
      cniVersion: '1.0.0',
      name: 'skiff',
      plugins: [
        {
          type: 'bridge',
          bridge: 'skiff0',
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.3.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/var/lib/cni/networks' },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        { type: 'firewall', backend: 'iptables' },
      ],
    });
  });

  it('options: bridge name, dataDir, MTU, no firewall; dual stack gets a range and a default route per family', () => {
    const c = buildConflist({ podCIDRs: ['10.244.3.0/24', 'fd00:10:244:3::/64'], bridgeName: 'br-test', dataDir: '/tmp/ipam', mtu: 1400, firewall: false, chain: 'legacy' });
    expect(c.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(c.plugins[0]).toMatchObject({
      bridge: 'br-test',
      mtu: 1400,
      ipam: { ranges: [[{ subnet: '10.244.3.0/24' }], [{ subnet: 'fd00:10:244:3::/64' }]], routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }], dataDir: '/tmp/ipam' },
    });
  });

  it('refuses what the plugins would refuse later, saying why', () => {
    expect(() => buildConflist({ podCIDRs: [] })).toThrow(/no pod CIDR/);
    expect(() => buildConflist({ podCIDRs: ['10.244.3.0'] })).toThrow('invalid pod CIDR "10.244.3.0"');
    expect(() => buildConflist({ podCIDRs: ['10.244.3.0/33'] })).toThrow(/invalid pod CIDR/);
    expect(() => buildConflist({ podCIDRs: ['10.1.0.0/24', '10.2.0.0/24'] })).toThrow(/one pod CIDR per IP family/);
    expect(() => buildConflist({ podCIDRs: ['10.1.0.0/24'], bridgeName: 'a-very-long-bridge' })).toThrow(/invalid bridge name/);
    expect(() => buildConflist({ podCIDRs: ['10.1.0.0/24'], mtu: 10 })).toThrow(/invalid MTU/);
  });

  it('reads pod CIDRs from a Node spec, podCIDRs first', () => {
    expect(podCIDRsOf({ podCIDR: '10.1.0.0/24', podCIDRs: ['10.1.0.0/24', 'fd00::/64'] })).toEqual(['10.1.0.0/24', 'fd00::/64']);
    expect(podCIDRsOf({ podCIDR: '10.1.0.0/24' })).toEqual(['10.1.0.0/24']);
    expect(podCIDRsOf({})).toEqual([]);
    expect(podCIDRsOf(undefined)).toEqual([]);
    expect(cidrFamily('fd00::/64')).toBe(6);
  });

  it('renders as indented JSON with a final newline', () => {
    const text = renderConflist(buildConflist({ podCIDRs: ['10.244.3.0/24'] }));
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "cniVersion": "1.0.0",\n');
  });
});
