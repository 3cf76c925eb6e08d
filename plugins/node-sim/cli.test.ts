// `skiff sim` against a real `skiff server` (startServer): the NATS URL from $SKIFF_HOME/nats-url,
// flags → config, nodes registered over the bus, pods run, --cleanup deletes the nodes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../../cli/server.ts';
import { natsUrlFor, simConfig, startSim } from '../../cli/commands/sim.ts';
import { NODES, PODS } from './objects.ts';
import { phaseOf, pod, until } from './testing.ts';

type Obj = Record<string, any>;
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

let home: string;
let server: RunningServer;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-sim-home-'));
  server = await startServer({ home, port: 0, logLevel: 'error' });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(home, { recursive: true, force: true });
});

test('flags become the config', () => {
  expect(
    simConfig({ nodes: '3', pods: '20', label: ['a=b', 'c=d'], taint: ['x=y:NoSchedule', 'z:NoExecute'], extendedResource: ['nvidia.com/gpu=8'], leaseInterval: '2' }),
  ).toMatchObject({
    nodes: 3,
    pods: 20,
    labels: { a: 'b', c: 'd' },
    taints: [{ key: 'x', value: 'y', effect: 'NoSchedule' }, { key: 'z', effect: 'NoExecute' }],
    extendedResources: { 'nvidia.com/gpu': '8' },
    leaseIntervalSeconds: 2,
  });
  expect(() => simConfig({ nodes: 'many' })).toThrow(/--nodes/);
  expect(() => simConfig({ taint: ['nope'] })).toThrow(/invalid taint/);
});

test('the NATS URL: --nats, else $SKIFF_HOME/nats-url (written by the server)', async () => {
  expect(await natsUrlFor({ home })).toBe(server.natsUrl);
  expect(await natsUrlFor({ nats: 'nats://x:1', home })).toBe('nats://x:1');
  const empty = mkdtempSync(join(tmpdir(), 'skiff-sim-empty-'));
  try {
    await expect(natsUrlFor({ home: empty })).rejects.toThrow(/nats-url/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('skiff sim against a running server; --cleanup deletes its nodes', async () => {
  const file = join(home, 'nodes.yaml');
  writeFileSync(file, '- count: 3\n  prefix: cpu\n- count: 2\n  prefix: gpu\n  extendedResources: { nvidia.com/gpu: 4 }\n  taints: ["nvidia.com/gpu=present:NoSchedule"]\n');
  const run = await startSim({ home, file, label: ['sim=yes'], leaseInterval: '1' }, silent);
  try {
    const nodes = (await server.kernel.list(NODES, { labelSelector: 'sim=yes' })).items as Obj[];
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(['cpu-0', 'cpu-1', 'cpu-2', 'gpu-0', 'gpu-1']);
    const gpu = nodes.find((n) => n.metadata.name === 'gpu-1')!;
    expect(gpu.status.capacity['nvidia.com/gpu']).toBe('4');
    expect(gpu.spec.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
    await server.kernel.create(PODS, pod('sim-pod', { nodeName: 'cpu-2' }));
    await until(async () => (await phaseOf(server.kernel, 'default', 'sim-pod')) === 'Running', 10_000, 'Running');
  } finally {
    await run.close(true);
  }
  expect((await server.kernel.list(NODES, { labelSelector: 'sim=yes' })).items).toHaveLength(0);
});
