// The direct calls (direct-abi.mjs) against jco's glue on the same SDK-built guest: the same
// requests must give exactly the same answers, byte for byte.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildComponent } from '@skiff/wasm-sdk';
import { ComponentCache, type LoadedComponent } from './component-cache.ts';
import { OP_FILTER, OP_FILTER_SCORE, OP_SCORE, OP_UPDATE_NODES, createGuest, type Guest } from './guest-host.mjs';

const dir = mkdtempSync(join(tmpdir(), 'skiff-direct-abi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let component: LoadedComponent;
beforeAll(async () => {
  const built = await buildComponent({ entry: new URL('./testing/assembly/echo-policy.ts', import.meta.url).pathname, world: 'scheduler-policy' });
  component = await new ComponentCache(dir).load(built.bytes, 64 << 20);
}, 120_000);

async function guest(direct: boolean): Promise<Guest> {
  const { instantiate } = await import(pathToFileURL(component.glueFile).href);
  const g = createGuest(instantiate, component.modules, undefined, undefined, { direct });
  expect(g.call(1, { config: '{}' }).kind).toBe(0);
  return g;
}

// a small deterministic random source, so a failure can be replayed
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
const WORDS = ['a', 'web', 'zone-ü', '日本', 'x'.repeat(300), '', 'emoji-🚀', 'k8s.io/arch', 'nvidia.com/gpu'];
const map = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${pick(WORDS)}${i}`, pick(WORDS)]));
const amount = () => pick([0, 1, 100, 2 ** 31 + 7, 2 ** 40 + 5, 3e12, Math.floor(rand() * 1e9)]);
const resources = () => ({
  cpu: amount(),
  memory: amount(),
  ...(rand() < 0.5 ? { 'ephemeral-storage': amount() } : {}),
  ...(rand() < 0.5 ? { pods: Math.floor(rand() * 110) } : {}),
  ...(rand() < 0.4 ? { 'nvidia.com/gpu': Math.floor(rand() * 8), [`example.com/${pick(WORDS)}`]: amount() } : {}),
});
const pod = (i: number) => ({
  namespace: pick(WORDS),
  name: `p${i}-${pick(WORDS)}`,
  uid: `uid-${i}`,
  labels: map(Math.floor(rand() * 4)),
  requests: resources(),
  priority: pick([0, -5, 1000, 2 ** 31 - 1]),
  schedulerName: pick(['default-scheduler', '', 'ü']),
  nodeSelector: map(Math.floor(rand() * 3)),
  tolerations: Array.from({ length: Math.floor(rand() * 3) }, () =>
    rand() < 0.5 ? { key: pick(WORDS), operator: 'Exists', effect: 'NoSchedule' } : { key: pick(WORDS), operator: 'Equal', value: pick(WORDS), effect: '' },
  ),
});
const NODES = 64;
const node = (i: number) => ({
  name: `node-${i}`,
  labels: map(2),
  taints: [],
  unschedulable: false,
  allocatable: { cpu: 64_000, memory: 2 ** 38, pods: 110, 'nvidia.com/gpu': 8 },
  requested: resources(),
  podCount: i % 5,
});

it('answers exactly as through jco glue (filter, score, filter-score, update-usage)', async () => {
  const viaGlue = await guest(false);
  const viaDirect = await guest(true);
  expect(viaGlue.direct).toBe(false);
  expect(viaDirect.direct).toBe(true);
  const updates = Array.from({ length: NODES }, (_, i) => ({ slot: i, node: node(i) }));
  for (const g of [viaGlue, viaDirect]) expect(g.call(OP_UPDATE_NODES, { updates }).kind).toBe(0);
  let rejected = 0;
  for (let i = 0; i < 300; i++) {
    const usage = Array.from({ length: Math.floor(rand() * 4) }, () => ({ slot: Math.floor(rand() * NODES), podCount: Math.floor(rand() * 50), requested: resources() }));
    const slots = Uint32Array.from({ length: 1 + Math.floor(rand() * NODES) }, () => Math.floor(rand() * NODES));
    const op = pick([OP_FILTER, OP_SCORE, OP_FILTER_SCORE]);
    const req = { pod: pod(i), usage };
    const a = viaGlue.call(op, req, slots);
    const b = viaDirect.call(op, req, slots);
    expect(b.kind, `${i} op ${op} glue ${JSON.stringify(a.json).slice(0, 200)} direct ${JSON.stringify(b.json)}`).toBe(0);
    expect(b).toEqual(a);
    rejected += ((a.json.reasons as unknown[]) ?? []).length;
  }
  expect(rejected).toBeGreaterThan(50); // the reasons, with every pod field in them, were compared
});

it('a guest that traps in a direct call is an error answer, and the guest is started again', async () => {
  const g = await guest(true);
  const r = g.call(OP_FILTER_SCORE, { pod: pod(1) }, Uint32Array.of(999_999)); // no such slot in its table
  expect(r.kind).toBe(1);
  expect(r.json.trapped).toBe(true);
  expect(g.instances).toBe(2);
  expect(g.direct).toBe(true);
});
