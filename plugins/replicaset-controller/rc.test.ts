// The ReplicationController (core/v1, a plain-map selector) on the same core: pods, references,
// Events from the replication-controller component, adoption and release, scale-down, status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, getControllerOf, PODS, REPLICATION_CONTROLLERS, type Pod, type ReplicationController } from '@skiff/api';
import { eventually, startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import rsController, { replicationControllerController } from './plugin.ts';
import { POD_DELETION_COST } from './ranking.ts';
import { createPod, createRC, createRS, makeReady, NS, podsOf } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  // both controllers in one process, as kube-controller-manager runs them
  env = await startControllers([{ descriptor: replicationControllerController }, { descriptor: rsController }]);
});
afterAll(() => env?.stop());

const k = () => env.t.kernel;
const getRC = async (name: string) => (await k().get(REPLICATION_CONTROLLERS, NS, name)) as ReplicationController;

describe('replicationcontroller-controller', () => {
  it('is a second descriptor of the package', () => {
    expect(replicationControllerController.name).toBe('replicationcontroller-controller');
    expect(rsController.name).toBe('replicaset-controller');
  });

  it('creates pods controlled by the ReplicationController and reports its status', async () => {
    const rc = await createRC(k(), 'legacy', { replicas: 3, minReadySeconds: 0 });
    const pods = await eventually(async () => ((await podsOf(k(), rc)).length === 3 ? podsOf(k(), rc) : undefined), 10_000);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^legacy-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.metadata.ownerReferences).toEqual([
        { apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: rc.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    await makeReady(k(), rc);
    const st = await eventually(async () => ((await getRC('legacy')).status?.availableReplicas === 3 ? (await getRC('legacy')).status : undefined));
    expect(st).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    const ev = await eventually(async () => {
      const list = (await k().list(EVENTS, { namespace: NS })).items.filter((e) => (e.involvedObject as { kind: string; name: string }).name === 'legacy');
      return list.length >= 3 ? list : undefined;
    });
    expect(ev.every((e) => e.reason === 'SuccessfulCreate' && (e.source as { component: string }).component === 'replication-controller')).toBe(true);
    expect((ev[0].involvedObject as { kind: string }).kind).toBe('ReplicationController');
  });

  it('scales down, adopts an orphan matching its map selector and releases a relabelled pod', async () => {
    const rc = await createRC(k(), 'map', { replicas: 4, selector: { app: 'map', tier: 'db' } });
    const pods = await eventually(async () => ((await podsOf(k(), rc)).length === 4 ? podsOf(k(), rc) : undefined));
    await k().patch(REPLICATION_CONTROLLERS, NS, 'map', 'merge', { spec: { replicas: 2 } });
    await eventually(async () => (await podsOf(k(), rc, true)).length === 2, 10_000, 'scaled down to 2');
    // an orphan with only one of the two labels is not the RC's; one with both is (and its
    // deletion cost makes the RC delete one of its own pods instead, to get back to 2)
    await createPod(k(), 'map-half', { app: 'map' });
    await createPod(k(), 'map-full', { app: 'map', tier: 'db' }, { annotations: { [POD_DELETION_COST]: '100' } });
    await eventually(async () => getControllerOf((await k().get(PODS, NS, 'map-full')) as Pod)?.uid === rc.metadata.uid, 5000, 'adopted');
    await eventually(async () => (await podsOf(k(), rc, true)).length === 2, 5000, 'back to 2 after the adoption');
    expect((await podsOf(k(), rc)).map((p) => p.metadata.name)).toContain('map-full');
    expect(((await k().get(PODS, NS, 'map-half')) as Pod).metadata.ownerReferences).toBeUndefined();
    const keep = (await podsOf(k(), rc)).find((p) => p.metadata.name !== 'map-full')!;
    await k().patch(PODS, NS, keep.metadata.name!, 'merge', { metadata: { labels: { tier: 'cache' } } });
    await eventually(async () => !((await k().get(PODS, NS, keep.metadata.name!)) as Pod).metadata.ownerReferences?.length, 5000, 'released');
    await eventually(async () => (await podsOf(k(), rc)).length === 2, 5000, 'replaced');
    expect(pods.length).toBe(4);
  });

  it('a ReplicaSet and a ReplicationController never take each other\'s pods', async () => {
    const rc = await createRC(k(), 'rc-side', { replicas: 2, selector: { app: 'both' } });
    await eventually(async () => (await podsOf(k(), rc)).length === 2);
    const rs = await createRS(k(), 'rs-side', { replicas: 2, selector: { app: 'both' } });
    await eventually(async () => (await podsOf(k(), rs)).length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect((await podsOf(k(), rc, true)).length).toBe(2);
    expect((await podsOf(k(), rs, true)).length).toBe(2);
  });

  it('warned about nothing', () => {
    expect(env.warnings).toEqual([]);
  });
});
