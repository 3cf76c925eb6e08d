import { describe, expect, it } from 'vitest';
import { Bitmap, RangeAllocator } from './allocator.ts';

describe('Bitmap', () => {
  it('sets, clears, tests and counts', () => {
    const b = new Bitmap(70);
    expect(b.set(0)).toBe(true);
    expect(b.set(0)).toBe(false);
    expect(b.set(33)).toBe(true);
    expect(b.set(69)).toBe(true);
    expect(b.count).toBe(3);
    expect([0, 1, 33, 69].map((i) => b.test(i))).toEqual([true, false, true, true]);
    expect(b.clear(33)).toBe(true);
    expect(b.clear(33)).toBe(false);
    expect(b.count).toBe(2);
    expect(() => b.test(70)).toThrow(RangeError);
    expect(() => b.set(-1)).toThrow(RangeError);
  });

  it('firstClear finds the lowest free bit, across words, from an offset, and -1 when full', () => {
    const b = new Bitmap(70);
    expect(b.firstClear()).toBe(0);
    for (let i = 0; i < 40; i++) b.set(i);
    expect(b.firstClear()).toBe(40);
    b.clear(31);
    expect(b.firstClear()).toBe(31);
    expect(b.firstClear(32)).toBe(40);
    for (let i = 0; i < 70; i++) b.set(i);
    expect(b.firstClear()).toBe(-1); // the 26 unused bits of the last word do not count
    b.clear(69);
    expect(b.firstClear()).toBe(69);
    expect(new Bitmap(0).firstClear()).toBe(-1);
    const full32 = new Bitmap(32);
    for (let i = 0; i < 32; i++) full32.set(i);
    expect(full32.firstClear()).toBe(-1);
  });
});

describe('RangeAllocator', () => {
  it('hands out the first free block, and the same one again to the same node', () => {
    const a = new RangeAllocator('10.244.0.0/16', 24);
    expect(a.allocate('n1')).toBe('10.244.0.0/24');
    expect(a.allocate('n2')).toBe('10.244.1.0/24');
    expect(a.allocate('n1')).toBe('10.244.0.0/24');
    expect(a.used).toBe(2);
    expect(a.heldBy('n2')).toEqual([1]);
  });

  it('occupied blocks (existing nodes, at start) are skipped; released ones are reused first', () => {
    const a = new RangeAllocator('10.244.0.0/16', 24);
    expect(a.occupy('old-0', '10.244.0.0/24')).toEqual({ kind: 'ok', cidr: '10.244.0.0/24', blocks: [0] });
    expect(a.occupy('old-2', '10.244.2.0/24').kind).toBe('ok');
    expect(a.allocate('n1')).toBe('10.244.1.0/24');
    expect(a.allocate('n2')).toBe('10.244.3.0/24');
    a.release('old-0');
    expect(a.isUsed(0)).toBe(false);
    expect(a.allocate('n3')).toBe('10.244.0.0/24');
    a.release('nobody'); // no-op
    expect(a.used).toBe(4);
  });

  it('occupy is idempotent and moves a node that changed its podCIDR', () => {
    const a = new RangeAllocator('10.244.0.0/16', 24);
    a.occupy('n', '10.244.5.0/24');
    expect(a.occupy('n', '10.244.5.0/24').kind).toBe('ok');
    expect(a.used).toBe(1);
    a.occupy('n', '10.244.6.0/24');
    expect([a.isUsed(5), a.isUsed(6)]).toEqual([false, true]);
  });

  it('a podCIDR bigger than a block holds every block it covers; a smaller one its block', () => {
    const a = new RangeAllocator('10.244.0.0/16', 24);
    expect(a.occupy('big', '10.244.0.0/23')).toEqual({ kind: 'ok', cidr: '10.244.0.0/23', blocks: [0, 1] });
    expect(a.occupy('small', '10.244.2.128/25')).toEqual({ kind: 'ok', cidr: '10.244.2.128/25', blocks: [2] });
    expect(a.allocate('n')).toBe('10.244.3.0/24');
  });

  it('outside the cluster CIDR: reported, holds nothing (or only the part inside)', () => {
    const a = new RangeAllocator('10.244.0.0/16', 24);
    expect(a.occupy('far', '192.168.1.0/24')).toEqual({ kind: 'outside', cidr: '192.168.1.0/24', blocks: [] });
    expect(a.used).toBe(0);
    const wide = a.occupy('wide', '10.244.0.0/15');
    expect(wide.kind).toBe('outside');
    expect(a.used).toBe(256); // never hand out addresses a node already uses
    expect(a.allocate('n')).toBeUndefined();
    a.release('wide');
    expect(a.used).toBe(0);
  });

  it('invalid podCIDRs are reported and hold nothing', () => {
    const a = new RangeAllocator('10.244.0.0/16', 24);
    a.occupy('n', '10.244.1.0/24');
    expect(a.occupy('n', 'fd00::/64')).toEqual({ kind: 'invalid', cidr: 'fd00::/64' });
    expect(a.used).toBe(0);
  });

  it('a clash is reported with the other holders, and the block stays used until both are gone', () => {
    const a = new RangeAllocator('10.244.0.0/16', 24);
    expect(a.occupy('a', '10.244.7.0/24').kind).toBe('ok');
    expect(a.occupy('b', '10.244.7.0/24')).toEqual({ kind: 'clash', cidr: '10.244.7.0/24', blocks: [7], with: ['a'] });
    expect(a.holdersOf(7)).toEqual(['a', 'b']);
    a.release('a');
    expect(a.isUsed(7)).toBe(true);
    expect(a.occupy('b', '10.244.7.0/24').kind).toBe('ok'); // b alone now
    a.release('b');
    expect(a.isUsed(7)).toBe(false);
  });

  it('exhaustion: undefined when full, a block again after a release', () => {
    const a = new RangeAllocator('10.9.0.0/23', 24);
    expect(a.size).toBe(2);
    expect(a.allocate('a')).toBe('10.9.0.0/24');
    expect(a.allocate('b')).toBe('10.9.1.0/24');
    expect(a.allocate('c')).toBeUndefined();
    a.release('a');
    expect(a.allocate('c')).toBe('10.9.0.0/24');
  });

  it('scales to 65,536 blocks', () => {
    const a = new RangeAllocator('10.0.0.0/8', 24);
    for (let i = 0; i < 65536; i++) a.allocate(`n${i}`);
    expect(a.used).toBe(65536);
    expect(a.allocate('one-more')).toBeUndefined();
    a.release('n40000');
    expect(a.allocate('one-more')).toBe('10.156.64.0/24');
  });
});
