import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ComponentCache } from './component-cache.ts';
import { GuestSandbox, OP } from './sandbox.ts';
import { buildWatGuest, type WatGuest } from './testing/wat-guests.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-wasm-cache-'));
const cache = new ComponentCache(dir);
const sandboxes: GuestSandbox[] = [];
afterAll(() => {
  for (const s of sandboxes) s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(g: WatGuest, callTimeoutMs = 50, memoryLimitBytes = 16 << 20) {
  const component = await cache.load(await buildWatGuest(g), memoryLimitBytes);
  const s = await GuestSandbox.start({ component, world: 'scheduler-policy', callTimeoutMs });
  sandboxes.push(s);
  const r = s.configure('{}');
  expect(r.ok).toBe(true);
  return s;
}

const pod = { namespace: 'default', name: 'p', uid: 'u1', labels: {}, requests: { cpu: 100, memory: 1 << 20, pods: 1 }, priority: 0 };
const node = (name: string) => ({ name, labels: {}, taints: [], unschedulable: false, allocatable: { cpu: 4000, memory: 8 << 30, pods: 110 }, requested: {}, podCount: 0 });
const slots = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

describe('GuestSandbox', () => {
  it('runs filter and score in the worker and returns per-node answers', async () => {
    const s = await start({ rejectOddSlots: 'Insufficient cpu', score: 42 });
    const updates = Array.from({ length: 6 }, (_, i) => ({ slot: i, node: node(`n${i}`) }));
    const f = s.call(OP.filter, { pod, updates }, slots(6));
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect([...f.payload]).toEqual([0, 1, 0, 1, 0, 1]);
    expect(f.json.reasons).toEqual([{ message: 'Insufficient cpu', unresolvable: false }]);
    const sc = s.call(OP.score, { pod }, slots(500));
    expect(sc.ok && [...new Int32Array(sc.payload.buffer, sc.payload.byteOffset, 500)].every((x) => x === 42)).toBe(true);
  });

  it('cuts off a guest that loops forever at its deadline, then serves again from a new worker', async () => {
    const s = await start({ filter: 'loop' }, 50);
    const epoch = s.epoch;
    const t = performance.now();
    const r = s.call(OP.filter, { pod }, slots(10));
    const took = performance.now() - t;
    expect(r.ok).toBe(false);
    expect(!r.ok && r.failure).toBe('timeout');
    expect(took).toBeLessThan(100);
    // while it restarts, calls fail at once instead of waiting
    const down = s.call(OP.score, { pod }, slots(10));
    expect(!down.ok && down.failure).toBe('down');
    const deadline = Date.now() + 5_000;
    while (!s.up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(s.up).toBe(true);
    expect(s.epoch).toBeGreaterThan(epoch);
    const sc = s.call(OP.score, { pod }, slots(10));
    expect(sc.ok).toBe(true);
  });

  it('fails only the call when the guest traps, and re-instantiates it', async () => {
    const s = await start({ filter: 'trap' });
    const epoch = s.epoch;
    const t = performance.now();
    const r = s.call(OP.filter, { pod }, slots(10));
    expect(performance.now() - t).toBeLessThan(100);
    expect(!r.ok && r.failure).toBe('trap');
    expect(s.epoch).toBe(epoch + 1);
    expect(s.call(OP.score, { pod }, slots(3)).ok).toBe(true);
  });

  it('stops a guest that allocates without bound at its memory cap', async () => {
    const s = await start({ filter: 'grow' }, 1_000, 32 << 20);
    const t = performance.now();
    const r = s.call(OP.filter, { pod }, slots(10));
    expect(performance.now() - t).toBeLessThan(100);
    expect(!r.ok && r.failure).toBe('trap');
    expect(s.call(OP.score, { pod }, slots(3)).ok).toBe(true);
  });

  // how fast is the benchmarks' business (npm run bench -- scheduler --policy wasm); this checks
  // that thousands of calls in a row keep answering the same, with no trap, leak or restart
  it('answers thousands of calls in a row the same way, without a restart', async () => {
    const s = await start({ score: 1 });
    const sl = slots(500);
    const answer = (r: ReturnType<typeof s.call>) => (r.ok ? { json: r.json, payload: [...r.payload] } : r);
    const first = answer(s.call(OP.score, { pod }, sl));
    expect(first).toHaveProperty('payload');
    const epoch = s.epoch;
    const n = 5_000;
    const t = performance.now();
    for (let i = 0; i < n; i++) expect(answer(s.call(OP.score, { pod }, sl))).toEqual(first);
    console.log(`score over 500 nodes: ${(((performance.now() - t) * 1000) / n).toFixed(1)} µs per call (not asserted: see the scheduler benchmark)`);
    expect(s.epoch).toBe(epoch);
  });
});
