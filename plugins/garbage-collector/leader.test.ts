// Two processes run the garbage collector: only the one leading on the controllers' Lease collects;
// when it stops, the other takes over and catches up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel, KObject } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import descriptor from './plugin.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
let t: TestKernel;
let k2: Kernel & { stop(): void };
const hosts: PluginHost[] = [];

beforeAll(async () => {
  t = await startTestKernel();
  await t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
  k2 = (await t.restart()) as Kernel & { stop(): void };
});
afterAll(async () => {
  for (const h of hosts) await h.stopAll();
  k2?.stop();
  await t?.stop();
});

async function startOn(kernel: Kernel): Promise<PluginHost> {
  const host = new PluginHost({ kernel, logger: createConsoleLogger({ level: 'silent' }) });
  hosts.push(host);
  await host.load([{ descriptor, config: { resyncSeconds: 1, leaseDurationSeconds: 3 } }]);
  return host;
}

const create = (name: string, owner?: KObject) =>
  t.kernel.create(CM, {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name, namespace: 'default', ...(owner ? { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name!, uid: owner.metadata.uid! }] } : {}) },
  });
const exists = (name: string) => t.kernel.get(CM, 'default', name).then(() => true, () => false);

describe('garbage collector under leader election', () => {
  it('collects only in the leader; the follower takes over when the leader stops', async () => {
    const a = await startOn(t.kernel);
    await eventually(() => a.runtime('garbage-collector')?.leading === true, 8000, 'a leads');
    const b = await startOn(k2);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.runtime('garbage-collector')).toMatchObject({ leading: false, processed: 0 });

    const o1 = await create('le-owner-1');
    await create('le-dep-1', o1);
    await t.kernel.delete(CM, 'default', 'le-owner-1');
    await eventually(async () => !(await exists('le-dep-1')), 8000, 'the leader collects');
    expect(b.runtime('garbage-collector')).toMatchObject({ leading: false, processed: 0 });

    await a.stopAll();
    const o2 = await create('le-owner-2');
    await create('le-dep-2', o2);
    await t.kernel.delete(CM, 'default', 'le-owner-2');
    await eventually(async () => !(await exists('le-dep-2')), 10_000, 'the new leader collects');
    // its figures are reported at the next resync
    await eventually(() => ((b.runtime('garbage-collector')?.processed as number) > 0 ? true : undefined), 5000, 'figures of the new leader');
    expect(b.runtime('garbage-collector')).toMatchObject({ leading: true });
  });
});
