// The node-sim plugin under a plugin host: config defaults from the schema, nodes up, stop.
import 'reflect-metadata';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PluginHost, ConsoleLogger } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { CriRuntimeToken } from '@skiff/node-api';
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

test('provides the CRI runtime (skiff.io/cri for real): a fake runtime that outlives a hot reload and goes with the plugin', async () => {
  const host = new PluginHost({ kernel: t.kernel, logger: new ConsoleLogger({ level: 'silent' }) });
  await host.load([{ descriptor: nodeSim, config: { nodes: 0, runtime: { latencyMs: { runPodSandbox: 5 }, podCIDR: '10.250.0.0/24' } } }]);
  const cri = host.resolve(CriRuntimeToken);
  expect(await cri.version()).toMatchObject({ runtimeName: 'hollow', runtimeApiVersion: 'v1' });
  const sb = await cri.runPodSandbox({ metadata: { name: 'p', namespace: 'default', uid: 'u1' } });
  expect((await cri.podSandboxStatus(sb)).status!.network!.ip).toBe('10.250.0.2');
  expect((await t.kernel.list(NODES)).items.filter((n) => n.metadata.name?.startsWith('hollow-'))).toEqual([]); // nodes: 0, no hollow nodes

  // a reload keeps the runtime and what runs on it (as containerd outlives a reload of cri-containerd)
  await host.reload('node-sim', nodeSim, { nodes: 0, runtime: { latencyMs: { runPodSandbox: 0 } } });
  expect(host.resolve(CriRuntimeToken)).toBe(cri);
  expect((await host.resolve(CriRuntimeToken).listPodSandbox()).map((s) => s.id)).toEqual([sb]);

  // removed: the runtime goes with it; loaded again, a new one
  await host.remove('node-sim');
  await host.load([{ descriptor: nodeSim, config: { nodes: 0 } }]);
  expect(host.resolve(CriRuntimeToken)).not.toBe(cri);
  expect(await host.resolve(CriRuntimeToken).listPodSandbox()).toEqual([]);
  await host.stopAll();
  await expect(host.load([{ descriptor: nodeSim, config: { nodes: 0, runtime: { latencyMs: { runPodSandbx: 5 } } } }])).rejects.toThrow(/runPodSandbx|propertyNames|must be equal to one of/);
  await host.stopAll();
});
