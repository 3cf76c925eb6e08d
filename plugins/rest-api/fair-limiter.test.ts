import { describe, expect, it } from 'vitest';
import { FairLimiter, PerFlowCap, type LimiterConfig, type Release } from './fair-limiter.ts';

const cfg = (o: Partial<LimiterConfig> = {}): LimiterConfig => ({ concurrency: 4, perFlow: 3, queuePerFlow: 4, queueTotal: 8, maxWaitMs: 5_000, retryAfterSeconds: 2, ...o });
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A request: its seat when granted, or its error. */
function ask(l: FairLimiter, flow: string, signal?: AbortSignal) {
  const r: { release?: Release; error?: any; flow: string } = { flow };
  l.acquire(flow, signal).then(
    (rel) => (r.release = rel),
    (e) => (r.error = e),
  );
  return r;
}

describe('FairLimiter', () => {
  it('runs at most `concurrency` and one flow at most `perFlow`', async () => {
    const l = new FairLimiter('t', cfg());
    const a = [ask(l, 'a'), ask(l, 'a'), ask(l, 'a'), ask(l, 'a')];
    await tick();
    expect(a.filter((r) => r.release)).toHaveLength(3); // the 4th waits: one seat stays for others
    const b = ask(l, 'b');
    await tick();
    expect(b.release).toBeDefined();
    expect(l.stats()).toMatchObject({ running: 4, waiting: 1 });
    const c = ask(l, 'c');
    await tick();
    expect(c.release).toBeUndefined(); // full
    // a seat frees: the flow running fewest (c: 0) goes before a (3 running, waiting longer)
    a[0]!.release!();
    await tick();
    expect(c.release).toBeDefined();
    expect(a[3]!.release).toBeUndefined();
    b.release!();
    await tick();
    expect(a[3]!.release).toBeDefined();
    expect(l.stats()).toMatchObject({ running: 4, waiting: 0 });
  });

  it('lets waiting flows in turn, fewest running first, longest waiting on a tie', async () => {
    const l = new FairLimiter('t', cfg({ concurrency: 2, perFlow: 2 }));
    const first = [ask(l, 'x'), ask(l, 'x')];
    await tick();
    const order: string[] = [];
    const waiting = [ask(l, 'x'), ask(l, 'x'), ask(l, 'y'), ask(l, 'z'), ask(l, 'y')];
    await tick();
    const running = [...first];
    for (let i = 0; i < 5; i++) {
      running.shift()!.release!();
      await tick();
      const now = waiting.filter((w) => w.release && !order.includes(String(waiting.indexOf(w))));
      for (const w of now) {
        order.push(String(waiting.indexOf(w)));
        running.push(w);
      }
    }
    // each freed seat goes to the flow running fewest, a tie to the one waiting longest: y (x runs
    // 1), x (runs 0 again, waited longest), z (y runs 1 again), x, y
    expect(order.map((i) => waiting[Number(i)]!.flow)).toEqual(['y', 'x', 'z', 'x', 'y']);
  });

  it('answers 429 with Retry-After when a queue is full', async () => {
    const l = new FairLimiter('lists', cfg({ concurrency: 1, perFlow: 1, queuePerFlow: 2, queueTotal: 3 }));
    ask(l, 'a');
    const q = [ask(l, 'a'), ask(l, 'a'), ask(l, 'a')];
    await tick();
    expect(q[2]!.error?.status).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests', details: { retryAfterSeconds: 2 } });
    expect(q[2]!.error.status.message).toMatch(/lists.*queue is full/);
    expect(q[0]!.error).toBeUndefined();
    // the total queue: b's first waiter fits (3rd), its second does not
    const b = [ask(l, 'b'), ask(l, 'b')];
    await tick();
    expect(b[0]!.error).toBeUndefined();
    expect(b[1]!.error?.status.code).toBe(429);
  });

  it('answers 429 after maxWaitMs in the queue, and forgets the waiter', async () => {
    const l = new FairLimiter('t', cfg({ concurrency: 1, perFlow: 1, maxWaitMs: 50 }));
    const held = ask(l, 'a');
    const w = ask(l, 'b');
    await new Promise((r) => setTimeout(r, 120));
    expect(w.error?.status).toMatchObject({ code: 429 });
    expect(l.stats()).toMatchObject({ running: 1, waiting: 0 });
    held.release!();
    held.release!(); // twice is once
    expect(l.stats()).toEqual({ running: 0, waiting: 0, flows: 0 });
  });

  it('a waiter whose client goes away leaves the queue', async () => {
    const l = new FairLimiter('t', cfg({ concurrency: 1, perFlow: 1 }));
    const held = ask(l, 'a');
    const ac = new AbortController();
    const w = ask(l, 'b', ac.signal);
    const next = ask(l, 'c');
    await tick();
    ac.abort();
    await tick();
    expect(w.error).toBeInstanceOf(Error);
    expect(l.stats().waiting).toBe(1);
    held.release!();
    await tick();
    expect(w.release).toBeUndefined();
    expect(next.release).toBeDefined();
  });
});

describe('PerFlowCap', () => {
  it('holds a flow to its cap, others unaffected', () => {
    const cap = new PerFlowCap('watches', 2);
    const r1 = cap.take('a');
    cap.take('a');
    expect(() => cap.take('a')).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 429, reason: 'TooManyRequests' }) }));
    expect(() => cap.take('b')).not.toThrow();
    r1();
    r1();
    expect(cap.count('a')).toBe(1);
    expect(() => cap.take('a')).not.toThrow();
  });
});
