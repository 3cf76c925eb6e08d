import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CachedNode, podInfoOf } from '@skiff/plugin-scheduler';
import { ComponentCache } from './component-cache.ts';
import { GuestCalls } from './guest-calls.ts';
import { GuestSandbox } from './sandbox.ts';
import { WasmSchedulerPolicy } from './scheduler-policy.ts';
import { buildWatGuest } from './testing/wat-guests.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-wasm-cache-'));
const stops: (() => void)[] = [];
afterAll(() => {
  for (const s of stops) s();
  rmSync(dir, { recursive: true, force: true });
});

const state = { read: () => undefined, write() {} };
const nodes = Array.from({ length: 4 }, (_, i) => {
  const n = new CachedNode(`n${i}`);
  n.setNode({ apiVersion: 'v1', kind: 'Node', metadata: { name: `n${i}` }, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } });
  return n;
});
const pod = podInfoOf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'c', image: 'x' }] } });

async function policy(g: Parameters<typeof buildWatGuest>[0], failurePolicy: 'Fail' | 'Ignore') {
  const component = await new ComponentCache(dir).load(await buildWatGuest(g), 16 << 20);
  const sandbox = await GuestSandbox.start({ component, world: 'scheduler-policy', callTimeoutMs: 1_000 });
  const calls = new GuestCalls({ logger: { warn() {} } });
  stops.push(() => (calls.stop(), sandbox.stop()));
  expect(sandbox.configure('{}').ok).toBe(true);
  return new WasmSchedulerPolicy('test', sandbox, calls, failurePolicy, { filter: true, score: true, filterScore: true });
}

it('filters and scores in one crossing: Score answers from what filter-score returned', async () => {
  const p = await policy({ rejectOddSlots: 'Insufficient cpu', score: 33 }, 'Fail');
  // slots are node ids; CachedNode ids are process-wide, so compute which ones are odd
  const verdicts = p.beginFilterBatch!(state, pod, nodes)();
  expect(verdicts.map((v, i) => (v.code === 'Success') === (nodes[i].id % 2 === 0))).toEqual([true, true, true, true]);
  const fitting = nodes.filter((n) => n.id % 2 === 0);
  const before = (p as unknown as { calls: GuestCalls }).calls.calls;
  expect(p.beginScoreBatch!(state, pod, fitting)()).toEqual(fitting.map(() => 33));
  expect((p as unknown as { calls: GuestCalls }).calls.calls).toBe(before); // no second call
});

it('keeps the filter when only the score part fails under failurePolicy Ignore', async () => {
  const p = await policy({ rejectOddSlots: 'Insufficient cpu', scoreTraps: true }, 'Ignore');
  const verdicts = p.beginFilterBatch!(state, pod, nodes)();
  const rejected = verdicts.filter((v) => v.code !== 'Success').length;
  expect(rejected).toBe(nodes.filter((n) => n.id % 2 === 1).length);
  expect(rejected).toBeGreaterThan(0);
  // the score itself fails: Ignore gives every node 0
  expect(p.beginScoreBatch!(state, pod, nodes.filter((n) => n.id % 2 === 0))()).toEqual([0, 0]);
});
