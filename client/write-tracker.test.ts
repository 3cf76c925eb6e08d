import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { WriteTracker } from './write-tracker.ts';

const obj = (uid: string, rv: number): KObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name: uid, uid, resourceVersion: String(rv) } });

describe('WriteTracker', () => {
  it('holds a key until the informer delivers its writes', () => {
    const t = new WriteTracker();
    t.wrote('ns/d', obj('a', 10), obj('a', 8));
    t.wrote('ns/d', obj('b', 12), undefined);
    t.wrote('ns/d', obj('c', 14), obj('c', 14)); // already delivered
    expect(t.caughtUp('ns/d')).toBe(false);
    expect(t.caughtUp('ns/other')).toBe(true);
    t.observe(obj('a', 9)); // an older event of the same object
    t.observe(obj('a', 10));
    expect(t.caughtUp('ns/d')).toBe(false);
    t.observe(obj('b', 15)); // a later write by someone else also shows ours
    expect(t.caughtUp('ns/d')).toBe(true);
    expect(t.size).toBe(0);
  });

  it('waits for a deletion event, and gives up after the TTL', async () => {
    const t = new WriteTracker(30);
    t.deleted('ns/d', obj('a', 10), obj('a', 10));
    t.deleted('ns/d', obj('z', 10), undefined); // already delivered
    t.observe(obj('a', 11));
    expect(t.caughtUp('ns/d')).toBe(false);
    t.observe(obj('a', 11), true);
    expect(t.caughtUp('ns/d')).toBe(true);
    t.wrote('ns/d', obj('c', 20), undefined);
    expect(t.caughtUp('ns/d')).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.caughtUp('ns/d')).toBe(true);
    t.wrote('ns/e', obj('d', 1), undefined);
    t.forget('ns/e');
    expect(t.caughtUp('ns/e')).toBe(true);
    expect(t.size).toBe(0);
  });
});
