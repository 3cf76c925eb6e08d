// The node-sim plugin under a plugin host: config defaults from the schema, nodes up, stop.
import 'reflect-metadata';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PluginHost, ConsoleLogger } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import nodeSim from './plugin.ts';
import { NODES } from './objects.ts';

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
});
afterAll(async () => {
  await t?.stop();
});

test('runs under a plugin host (type skiff.io/cri) with schema defaults', async () => {
  const host = new PluginHost({ kernel: t.kernel, logger: new ConsoleLogger({ level: 'silent' }) });
  await host.load([{ descriptor: nodeSim, config: { nodes: 5, prefix: 'plug', groups: [{ count: 2, prefix: 'big', cpu: '96' }, { count: 3 }] } }]);
  expect(host.list()).toMatchObject([{ name: 'node-sim', type: 'skiff.io/cri', state: 'Running' }]);
  const nodes = (await t.kernel.list(NODES)).items;
  expect(nodes.map((n) => n.metadata.name).sort()).toEqual(['big-0', 'big-1', 'plug-0', 'plug-1', 'plug-2']);
  expect((nodes.find((n) => n.metadata.name === 'big-1')!.status as any).capacity).toMatchObject({ cpu: '96', memory: '256Gi', pods: '110' });
  await host.stopAll();
  await expect(host.load([{ descriptor: nodeSim, config: { nodes: -1 } }])).rejects.toThrow();
});
