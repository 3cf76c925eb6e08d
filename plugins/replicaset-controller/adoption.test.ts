// Adoption of orphans and release of pods a ReplicaSet no longer selects, on a real kernel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getControllerOf, PODS, REPLICA_SETS, type Pod, type ReplicaSet } from '@skiff/api';
import { eventually, sleep, startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import controller from './plugin.ts';
import { createPod, createRS, NS, podsOf } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: controller }]);
});
afterAll(() => env?.stop());

const k = () => env.t.kernel;
const getPod = async (name: string) => (await k().get(PODS, NS, name)) as Pod;

describe('replicaset-controller: adoption and release', () => {
  it('adopts a matching orphan instead of creating a pod for it', async () => {
    await createPod(k(), 'orphan-a', { app: 'adopter' });
    const rs = await createRS(k(), 'adopter', { replicas: 2 });
    await eventually(async () => (await podsOf(k(), rs)).length === 2, 10_000, 'two pods');
    const orphan = await getPod('orphan-a');
    expect(orphan.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'adopter', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    await sleep(300);
    expect((await podsOf(k(), rs)).length).toBe(2); // one adopted + one created, nothing more
  });

  it('adopts an orphan that appears later and scales down to spec.replicas', async () => {
    const rs = await createRS(k(), 'late', { replicas: 1 });
    await eventually(async () => (await podsOf(k(), rs)).length === 1);
    await createPod(k(), 'late-orphan', { app: 'late' });
    await eventually(async () => getControllerOf(await getPod('late-orphan'))?.uid === rs.metadata.uid, 5000, 'adopted');
    await eventually(async () => (await podsOf(k(), rs, true)).length === 1, 5000, 'back to one pod');
  });

  it('releases a pod whose labels no longer match, and replaces it', async () => {
    const rs = await createRS(k(), 'release', { replicas: 2 });
    const [p] = await eventually(async () => ((await podsOf(k(), rs)).length === 2 ? podsOf(k(), rs) : undefined));
    await k().patch(PODS, NS, p.metadata.name!, 'merge', { metadata: { labels: { app: 'elsewhere' } } });
    await eventually(async () => !(await getPod(p.metadata.name!)).metadata.ownerReferences?.length, 5000, 'released');
    await eventually(async () => (await podsOf(k(), rs)).length === 2, 5000, 'replaced');
    expect((await podsOf(k(), rs)).map((x) => x.metadata.name)).not.toContain(p.metadata.name);
  });

  it('leaves pods another controller controls, even when the selector matches', async () => {
    // a StatefulSet's pod (no garbage collector runs here to mind that the owner is made up)
    const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: '0b8c7c43-3c4a-4b6e-9a57-4f0f5a1c2d3e', controller: true };
    await createPod(k(), 'owned-elsewhere', { app: 'shared' }, { ownerReferences: [sts] });
    const rs = await createRS(k(), 'shared', { replicas: 1, selector: { app: 'shared' } });
    await eventually(async () => (await podsOf(k(), rs)).length === 1);
    await sleep(200);
    expect((await getPod('owned-elsewhere')).metadata.ownerReferences).toEqual([sts]);
    expect((await podsOf(k(), rs)).map((x) => x.metadata.name)).not.toContain('owned-elsewhere');
  });

  it('does not adopt while being deleted', async () => {
    const rs = await createRS(k(), 'dying', { replicas: 0, finalizers: ['test.skiff.io/hold'] });
    await eventually(async () => (await k().get(REPLICA_SETS, NS, 'dying') as ReplicaSet).status?.observedGeneration === 1);
    await k().delete(REPLICA_SETS, NS, 'dying');
    await createPod(k(), 'dying-orphan', { app: 'dying' });
    await sleep(400);
    expect((await getPod('dying-orphan')).metadata.ownerReferences).toBeUndefined();
    expect(await podsOf(k(), rs)).toEqual([]);
    await k().patch(REPLICA_SETS, NS, 'dying', 'merge', { metadata: { finalizers: null } });
  });

  it('warned about nothing', () => {
    expect(env.warnings).toEqual([]);
  });
});
