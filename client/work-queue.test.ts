import { describe, expect, it } from 'vitest';
import { RateLimiter, WorkQueue } from './work-queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('de-duplicates keys that wait, and handles a key added while in flight once more afterwards', async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    q.add('a');
    q.add('a');
    q.add('b');
    const run = q.run(1, async (k) => {
      seen.push(k);
      if (k === 'a' && seen.length === 1) {
        q.add('a'); // while a is in flight
        q.add('a');
        await gate;
      }
    });
    await sleep(10);
    expect(seen).toEqual(['a']);
    release();
    await q.idle();
    expect(seen).toEqual(['a', 'b', 'a']);
    q.shutDown();
    await run;
  });

  it('never hands one key to two workers at once', async () => {
    const q = new WorkQueue();
    const active = new Set<string>();
    let overlap = false;
    let handled = 0;
    const run = q.run(4, async (k) => {
      if (active.has(k)) overlap = true;
      active.add(k);
      await sleep(1);
      active.delete(k);
      handled++;
    });
    for (let i = 0; i < 200; i++) {
      q.add(`k${i % 5}`);
      if (i % 20 === 0) await sleep(2);
    }
    await q.idle();
    expect(overlap).toBe(false);
    expect(handled).toBeGreaterThanOrEqual(5);
    q.shutDown();
    await run;
  });

  it('retries a failing key with growing back-off and forgets it after a success', async () => {
    const q = new WorkQueue({ baseDelayMs: 10 });
    const times: number[] = [];
    const run = q.run(1, async () => {
      times.push(Date.now());
      if (times.length < 4) throw new Error('not yet');
    });
    q.add('x');
    for (let i = 0; i < 200 && times.length < 4; i++) await sleep(10);
    expect(times.length).toBe(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(8);
    expect(gaps[2]).toBeGreaterThanOrEqual(35); // 10, 20, 40 ms
    expect(q.limiter.requeues('x')).toBe(0);
    q.shutDown();
    await run;
  });

  it('addAfter delays a key, and an earlier delay wins', async () => {
    const q = new WorkQueue();
    const got: [string, number][] = [];
    const t0 = Date.now();
    const run = q.run(1, async (k) => void got.push([k, Date.now() - t0]));
    q.addAfter('late', 200);
    q.addAfter('late', 40);
    q.addAfter('late', 300);
    await sleep(120);
    expect(got.map((g) => g[0])).toEqual(['late']);
    expect(got[0]![1]).toBeGreaterThanOrEqual(35);
    await sleep(250);
    expect(got.length).toBe(1);
    q.shutDown();
    await run;
  });

  it('shutDown releases waiting workers', async () => {
    const q = new WorkQueue();
    const run = q.run(3, async () => {});
    q.shutDown();
    await run;
    q.add('ignored');
    expect(q.length).toBe(0);
  });
});

describe('RateLimiter', () => {
  it('combines per-item exponential back-off with an overall token bucket', () => {
    const r = new RateLimiter({ baseDelayMs: 5, maxDelayMs: 1000, qps: 10, burst: 2 });
    expect(r.when('a')).toBe(5);
    expect(r.when('a')).toBe(10);
    // the bucket is empty now: the third re-add of anything waits ~100 ms for a token
    expect(r.when('b')).toBeGreaterThan(90);
    for (let i = 0; i < 20; i++) r.when('c');
    expect(r.when('c')).toBeLessThanOrEqual(3000);
    r.forget('a');
    expect(r.requeues('a')).toBe(0);
  });
});
