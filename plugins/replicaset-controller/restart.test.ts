// A restart of the controller (a new plugin host on the same kernel, fresh expectations) leaves
// exactly spec.replicas pods, all controlled by their ReplicaSet: no duplicate, none orphaned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getControllerOf, REPLICA_SETS, type ReplicaSet } from '@skiff/api';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, sleep, startTestKernel, type TestKernel } from '../../client/testing.ts';
import controller from './plugin.ts';
import { allPods, createRS, NS, podsOf } from './testing.ts';

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
});
afterAll(() => t?.stop());

/** burstReplicas 50: a scale-up of 300 takes several syncs, so a restart can fall between them */
async function startHost(): Promise<PluginHost> {
  const host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'silent' }) });
  await host.load([{ descriptor: controller, config: { leaderElection: false, burstReplicas: 50 } }]);
  return host;
}

describe('replicaset-controller: restart', () => {
  it('a restart in steady state creates and deletes nothing', async () => {
    let host = await startHost();
    const rs = await createRS(t.kernel, 'steady', { replicas: 25 });
    await eventually(async () => ((await t.kernel.get(REPLICA_SETS, NS, 'steady')) as ReplicaSet).status?.replicas === 25, 10_000);
    const before = (await podsOf(t.kernel, rs)).map((p) => p.metadata.uid).sort();
    await host.stopAll();
    host = await startHost();
    await sleep(700);
    expect((await podsOf(t.kernel, rs, true)).map((p) => p.metadata.uid).sort()).toEqual(before);
    await host.stopAll();
  });

  it('a restart in the middle of a scale-up converges to exactly spec.replicas, none orphaned', async () => {
    let host = await startHost();
    const rs = await createRS(t.kernel, 'midway', { replicas: 300 });
    await eventually(async () => (await podsOf(t.kernel, rs)).length >= 20, 10_000, 'the scale-up under way');
    await host.stopAll(); // the sync in flight finishes; the expectations are lost with the host
    const atStop = (await podsOf(t.kernel, rs)).length;
    host = await startHost();
    await eventually(async () => (await podsOf(t.kernel, rs)).length >= 300, 20_000, '300 pods');
    await sleep(500);
    const pods = (await allPods(t.kernel)).filter((p) => p.metadata.labels?.app === 'midway');
    expect(pods).toHaveLength(300);
    expect(pods.every((p) => getControllerOf(p)?.uid === rs.metadata.uid)).toBe(true);
    expect(atStop).toBeLessThan(300); // the restart happened mid-way
    await eventually(async () => ((await t.kernel.get(REPLICA_SETS, NS, 'midway')) as ReplicaSet).status?.replicas === 300);
    await host.stopAll();
  });
});
