import { describe, expect, it } from 'vitest';
import { buildConflist } from './conflist.ts';
import { NodeNetworkState } from './node-network.ts';

describe('NodeNetworkState', () => {
  it('nothing until a conflist is written; then it, once per change, to every listener', () => {
    const n = new NodeNetworkState();
    expect(n.current()).toBeUndefined();
    const seen: string[][] = [];
    const off = n.onChange((c) => seen.push(c.podCIDRs));
    const a = buildConflist({ podCIDRs: ['10.244.1.0/24'] });
    n.written('/etc/cni/net.d/10-skiff.conflist', ['10.244.1.0/24'], a);
    n.written('/etc/cni/net.d/10-skiff.conflist', ['10.244.1.0/24'], a);
    expect(n.current()).toMatchObject({ name: 'skiff', cniVersion: '1.0.0', path: '/etc/cni/net.d/10-skiff.conflist', podCIDRs: ['10.244.1.0/24'] });
    n.written('/etc/cni/net.d/10-skiff.conflist', ['10.244.2.0/24'], buildConflist({ podCIDRs: ['10.244.2.0/24'] }));
    expect(seen).toEqual([['10.244.1.0/24'], ['10.244.2.0/24']]);
    off();
    n.written('/x', ['10.244.3.0/24'], buildConflist({ podCIDRs: ['10.244.3.0/24'] }));
    expect(seen).toHaveLength(2);
    // what callers get is a copy
    n.current()!.podCIDRs.push('mutated');
    expect(n.current()!.podCIDRs).toEqual(['10.244.3.0/24']);
  });
});
