import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ComponentCache } from './component-cache.ts';
import { InlineSandbox } from './inline-sandbox.ts';
import { OP } from './sandbox.ts';
import { buildWatGuest, type WatGuest } from './testing/wat-guests.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-wasm-cache-'));
const cache = new ComponentCache(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(g: WatGuest, memoryLimitBytes = 16 << 20) {
  const component = await cache.load(await buildWatGuest(g), memoryLimitBytes, true);
  const s = await InlineSandbox.start({ component });
  expect(s.configure('{}').ok).toBe(true);
  return s;
}

const pod = { namespace: 'default', name: 'p', uid: 'u1', labels: {}, requests: { cpu: 100, pods: 1 }, priority: 0 };
const node = (name: string) => ({ name, labels: {}, taints: [], unschedulable: false, allocatable: { cpu: 4000, pods: 110 }, requested: {}, podCount: 0 });
const slots = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

describe('InlineSandbox (the guest on the caller’s thread, cut off by fuel)', () => {
  it('answers filter, score and filter-score per node', async () => {
    const s = await start({ rejectOddSlots: 'Insufficient cpu', score: 42 });
    const updates = Array.from({ length: 4 }, (_, i) => ({ slot: i, node: node(`n${i}`) }));
    const f = s.call(OP.filter, { pod, updates }, slots(4));
    expect(f.ok && [...f.payload]).toEqual([0, 1, 0, 1]);
    const fs = s.call(OP.filterScore, { pod }, slots(4));
    expect(fs.ok).toBe(true);
    if (fs.ok) expect([...new Int32Array(fs.payload.buffer, fs.payload.byteOffset + 4, 4)]).toEqual([42, 42, 42, 42]);
  });

  it('cuts off a guest that loops forever within 100 ms, then serves again', async () => {
    const s = await start({ filter: 'loop' });
    const epoch = s.epoch;
    const t = performance.now();
    const r = s.call(OP.filter, { pod }, slots(4));
    expect(performance.now() - t).toBeLessThan(100);
    expect(!r.ok && r.failure).toBe('timeout');
    expect(s.epoch).toBe(epoch + 1);
    expect(s.call(OP.score, { pod }, slots(2)).ok).toBe(true);
  });

  it('fails only the call when the guest traps, and at its memory cap', async () => {
    for (const g of [{ filter: 'trap' }, { filter: 'grow' }] as WatGuest[]) {
      const s = await start(g, 32 << 20);
      const t = performance.now();
      const r = s.call(OP.filter, { pod }, slots(4));
      expect(performance.now() - t).toBeLessThan(100);
      expect(!r.ok && r.failure).toBe('trap');
      expect(s.call(OP.score, { pod }, slots(2)).ok).toBe(true);
    }
  });

  it('backs off a guest that keeps failing: calls then fail at once', async () => {
    const s = await start({ filter: 'loop' });
    s.call(OP.filter, { pod }, slots(1));
    s.call(OP.filter, { pod }, slots(1));
    const t = performance.now();
    const r = s.call(OP.filter, { pod }, slots(1));
    expect(!r.ok && r.failure).toBe('down');
    expect(performance.now() - t).toBeLessThan(5);
  });
});
