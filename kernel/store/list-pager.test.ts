import { describe, expect, it } from 'vitest';
import type { KObject } from '../types.ts';
import { ListPager } from './list-pager.ts';

const objs = (n: number, tag = 'o'): KObject[] => Array.from({ length: n }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${tag}-${i}` } }));
const names = (p: { items: KObject[] }) => p.items.map((o) => o.metadata.name);

describe('ListPager', () => {
  it('pages one snapshot, then forgets it after the last page', () => {
    const pager = new ListPager();
    const all = objs(5);
    const p1 = pager.first(all, 7, 2);
    expect(names(p1)).toEqual(['o-0', 'o-1']);
    expect(p1.metadata).toMatchObject({ resourceVersion: '7', remainingItemCount: 3 });
    expect(pager.stats()).toEqual({ snapshots: 1, items: 5 });
    const p2 = pager.next(p1.metadata.continue!);
    const p3 = pager.next(p2.metadata.continue!);
    expect(names(p3)).toEqual(['o-4']);
    expect(p3.metadata.continue).toBeUndefined();
    expect(pager.stats()).toEqual({ snapshots: 0, items: 0 });
    expect(() => pager.next(p2.metadata.continue!)).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 410 }) }));
    pager.stop();
  });

  it('holds references, never copies', () => {
    const pager = new ListPager();
    const all = objs(3);
    const p = pager.first(all, 1, 1);
    expect(p.items[0]).toBe(all[0]);
    expect(pager.next(p.metadata.continue!).items[0]).toBe(all[1]);
    pager.stop();
  });

  it('bounds the snapshots held: the least recently used goes first and answers 410', () => {
    const pager = new ListPager({ maxSnapshots: 3, maxItems: 1_000 });
    const firsts = [0, 1, 2].map((i) => pager.first(objs(10, `s${i}`), i, 2));
    pager.next(firsts[0]!.metadata.continue!); // s0 used again: s1 is now the oldest
    const s3 = pager.first(objs(10, 's3'), 3, 2);
    expect(pager.stats()).toEqual({ snapshots: 3, items: 30 });
    expect(() => pager.next(firsts[1]!.metadata.continue!)).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 410, reason: 'Expired' }) }));
    expect(names(pager.next(firsts[2]!.metadata.continue!))).toEqual(['s2-2', 's2-3']);
    expect(names(pager.next(s3.metadata.continue!))).toEqual(['s3-2', 's3-3']);
    pager.stop();
  });

  it('bounds the references all snapshots hold together', () => {
    const pager = new ListPager({ maxSnapshots: 100, maxItems: 25 });
    const a = pager.first(objs(10, 'a'), 1, 1);
    pager.first(objs(10, 'b'), 1, 1);
    pager.first(objs(10, 'c'), 1, 1); // 30 > 25: a goes
    expect(pager.stats()).toEqual({ snapshots: 2, items: 20 });
    expect(() => pager.next(a.metadata.continue!)).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 410 }) }));
    // a list larger than the bound still pages (alone)
    const big = pager.first(objs(40, 'big'), 2, 10);
    expect(pager.stats()).toEqual({ snapshots: 1, items: 40 });
    expect(names(pager.next(big.metadata.continue!))[0]).toBe('big-10');
    pager.stop();
  });

  it('expires snapshots after their ttl', async () => {
    const pager = new ListPager({ ttlMs: 1 });
    const p = pager.first(objs(4), 1, 1);
    await new Promise((r) => setTimeout(r, 5));
    (pager as unknown as { expire(): void }).expire();
    expect(pager.stats().snapshots).toBe(0);
    expect(() => pager.next(p.metadata.continue!)).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 410 }) }));
    pager.stop();
  });

  it('refuses a continue token it did not make', () => {
    const pager = new ListPager();
    for (const bad of ['nope', Buffer.from(JSON.stringify({ id: 'x', offset: -1, limit: 2 })).toString('base64url'), Buffer.from(JSON.stringify({ id: 'x', offset: 0, limit: 0 })).toString('base64url')]) {
      expect(() => pager.next(bad)).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 400 }) }));
    }
    pager.stop();
  });
});
