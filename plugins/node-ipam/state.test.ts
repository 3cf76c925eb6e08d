import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import type { OccupyResult } from './allocator.ts';
import { IpamState, podCIDROf } from './state.ts';

const node = (name: string, rv: number, podCIDR?: string, uid = `uid-${name}`): KObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, uid, resourceVersion: String(rv) }, ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}),
});

function state() {
  const log: string[] = [];
  const s = new IpamState('10.0.0.0/22', 24, {
    occupied: (n: KObject, r: OccupyResult) => log.push(`${r.kind} ${n.metadata.name} ${r.cidr}`),
    released: (n: KObject) => log.push(`released ${n.metadata.name}`),
  });
  const held = () => [0, 1, 2, 3].map((i) => s.allocator.holdersOf(i).join(',') || '-');
  return { s, log, held };
}

describe('podCIDROf', () => {
  it('reads spec.podCIDR, else the first of spec.podCIDRs', () => {
    expect(podCIDROf(node('a', 1, '10.0.1.0/24'))).toBe('10.0.1.0/24');
    expect(podCIDROf({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'b' }, spec: { podCIDRs: ['10.0.2.0/24'] } })).toBe('10.0.2.0/24');
    expect(podCIDROf(node('c', 1))).toBeUndefined();
  });
});

describe('IpamState', () => {
  it('records podCIDRs from events and frees a deleted node\'s block', () => {
    const { s, log, held } = state();
    s.set(node('a', 5, '10.0.0.0/24'));
    s.set(node('b', 6, '10.0.2.0/24'));
    expect(held()).toEqual(['a', '-', 'b', '-']);
    expect(s.allocator.allocate('c')).toBe('10.0.1.0/24');
    s.set(node('c', 7)); // c's own update without its podCIDR yet: its reservation stays
    expect(held()).toEqual(['a', 'c', 'b', '-']);
    s.delete(node('a', 8, '10.0.0.0/24'));
    expect(held()).toEqual(['-', 'c', 'b', '-']);
    expect(log).toEqual(['ok a 10.0.0.0/24', 'ok b 10.0.2.0/24', 'released a']);
  });

  it('rebuilds from a list; states older than the list are ignored afterwards', () => {
    const { s, held } = state();
    s.set(node('a', 5)); // the informer lags: a without its podCIDR
    s.beginRebuild();
    s.finishRebuild([node('a', 20, '10.0.3.0/24'), node('b', 21, '10.0.0.0/24')], 30);
    expect(held()).toEqual(['b', '-', '-', 'a']);
    s.set(node('a', 12)); // the lagging informer catches up with an old state
    s.set(node('b', 25, '10.0.1.0/24')); // older than the list too
    expect(held()).toEqual(['b', '-', '-', 'a']);
    s.set(node('c', 31, '10.0.2.0/24')); // newer: counts
    expect(held()).toEqual(['b', '-', 'c', 'a']);
    expect(s.nodes).toBe(3);
  });

  it('applies the events that arrive while the list is read after it', () => {
    const { s, held } = state();
    s.beginRebuild();
    s.set(node('c', 35, '10.0.2.0/24')); // made after the list was read
    s.delete(node('b', 36, '10.0.0.0/24')); // deleted after the list was read
    s.set(node('a', 10, '10.0.1.0/24')); // an old state, from before the list
    expect(held()).toEqual(['-', '-', '-', '-']); // nothing until the list is in
    s.finishRebuild([node('a', 20, '10.0.3.0/24'), node('b', 21, '10.0.0.0/24')], 30);
    expect(held()).toEqual(['-', '-', 'c', 'a']);
  });

  it('a delete of an older incarnation of a name leaves the new one\'s block alone', () => {
    const { s, held } = state();
    s.beginRebuild();
    s.finishRebuild([node('a', 20, '10.0.1.0/24', 'uid-new')], 30);
    s.delete(node('a', 15, '10.0.0.0/24', 'uid-old'));
    expect(held()).toEqual(['-', 'a', '-', '-']);
    s.delete(node('a', 31, '10.0.1.0/24', 'uid-new'));
    expect(held()).toEqual(['-', '-', '-', '-']);
  });

  it('a rebuild whose list failed applies what waited to the allocator as it was', () => {
    const { s, held } = state();
    s.set(node('a', 5, '10.0.0.0/24'));
    s.beginRebuild();
    s.set(node('b', 6, '10.0.1.0/24'));
    s.abortRebuild();
    expect(held()).toEqual(['a', 'b', '-', '-']);
  });
});
