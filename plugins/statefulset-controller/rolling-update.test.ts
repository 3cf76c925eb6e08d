// updateStrategy: RollingUpdate (highest ordinal first, one at a time, down to the partition;
// maxUnavailable at once when set), OnDelete, roll back to an earlier revision, and history limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import {
  autoReady, createNamespace, createSet, eventually, getPod, getSet, listPods, listRevisions, markRunningReady, recordDeletions,
  sleep, startStatefulSetController, statefulSet, updateSpec,
} from './testing.ts';

let env: ControllerTestEnv;
const k = () => env.t.kernel;

beforeAll(async () => {
  env = await startStatefulSetController();
});
afterAll(() => env?.stop());

const REV = 'controller-revision-hash';

/** pod name -> revision label */
async function revisionsOf(ns: string): Promise<Record<string, string>> {
  return Object.fromEntries((await listPods(k(), ns)).map((p) => [p.metadata.name!, p.metadata.labels?.[REV] ?? '']));
}

async function allReady(ns: string, name: string, n: number) {
  return eventually(async () => {
    const s = await getSet(k(), ns, name);
    return s.status?.readyReplicas === n && s.status.replicas === n ? s : undefined;
  }, 10_000, `${n} ready`);
}

const setImage = (image: string) => (s: { template: { spec?: { containers: { image?: string }[] } } }) => void (s.template.spec!.containers[0].image = image);

describe('RollingUpdate', () => {
  let oldRev = '';
  let newRev = '';

  it('with a partition, updates only the ordinals at or above it', async () => {
    const ns = 'rolling';
    await createNamespace(k(), ns);
    const ready = autoReady(k(), ns);
    await createSet(k(), statefulSet(ns, 'web'));
    oldRev = (await allReady(ns, 'web', 3)).status!.updateRevision!;
    const uids = Object.fromEntries((await listPods(k(), ns)).map((p) => [p.metadata.name, p.metadata.uid]));

    await updateSpec(k(), ns, 'web', (s) => {
      s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 2 } };
      setImage('busybox:2')(s);
    });
    const st = await eventually(async () => {
      const s = (await getSet(k(), ns, 'web')).status;
      return s?.updatedReplicas === 1 && s.readyReplicas === 3 ? s : undefined;
    }, 10_000, 'web-2 updated and ready');
    newRev = st.updateRevision!;
    expect(newRev).not.toBe(oldRev);
    expect(st).toMatchObject({ currentRevision: oldRev, currentReplicas: 2, updatedReplicas: 1, replicas: 3, observedGeneration: 2 });
    await sleep(400);
    expect(await revisionsOf(ns)).toEqual({ 'web-0': oldRev, 'web-1': oldRev, 'web-2': newRev });
    const pods = await listPods(k(), ns);
    expect(pods.find((p) => p.metadata.name === 'web-0')!.metadata.uid).toBe(uids['web-0']);
    expect(pods.find((p) => p.metadata.name === 'web-2')!.spec?.containers[0].image).toBe('busybox:2');

    const revs = await listRevisions(k(), ns);
    expect(revs.map((r) => [r.metadata.name, r.revision])).toEqual([[oldRev, 1], [newRev, 2]]);
    const set = await getSet(k(), ns, 'web');
    for (const r of revs) {
      expect(r.metadata.labels).toMatchObject({ app: 'web', 'controller.kubernetes.io/hash': r.metadata.name!.slice('web-'.length) });
      expect(r.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect((r.data as { spec: { template: { $patch: string } } }).spec.template.$patch).toBe('replace');
    }
    ready.stop();
  });

  it('below the partition: highest ordinal first, each replacement Ready before the next', async () => {
    const ns = 'rolling';
    const deletions = await recordDeletions(k(), ns);
    await updateSpec(k(), ns, 'web', (s) => void (s.updateStrategy!.rollingUpdate!.partition = 0));
    await eventually(async () => (await getPod(k(), ns, 'web-1'))?.metadata.labels?.[REV] === newRev, 10_000, 'web-1 replaced');
    await sleep(400);
    expect((await revisionsOf(ns))['web-0']).toBe(oldRev);
    await markRunningReady(k(), ns, 'web-1');
    await eventually(async () => (await getPod(k(), ns, 'web-0'))?.metadata.labels?.[REV] === newRev, 10_000, 'web-0 replaced');
    await markRunningReady(k(), ns, 'web-0');
    const st = await eventually(async () => {
      const s = (await getSet(k(), ns, 'web')).status;
      return s?.currentRevision === newRev && s.readyReplicas === 3 ? s : undefined;
    }, 10_000, 'rollout complete');
    expect(st).toMatchObject({ currentRevision: newRev, updateRevision: newRev, currentReplicas: 3, updatedReplicas: 3 });
    expect(deletions.names).toEqual(['web-1', 'web-0']);
    deletions.stop();
  });

  it('rolls back to an equal earlier revision by renumbering it', async () => {
    const ns = 'rolling';
    const ready = autoReady(k(), ns);
    await updateSpec(k(), ns, 'web', setImage('busybox'));
    await eventually(async () => {
      const s = (await getSet(k(), ns, 'web')).status;
      return s?.currentRevision === oldRev && s.updatedReplicas === 3 && s.readyReplicas === 3;
    }, 15_000, 'rolled back');
    expect(Object.values(await revisionsOf(ns))).toEqual([oldRev, oldRev, oldRev]);
    const revs = await listRevisions(k(), ns);
    expect(revs.map((r) => [r.metadata.name, r.revision])).toEqual([[newRev, 2], [oldRev, 3]]);
    ready.stop();
  });

  it('keeps revisionHistoryLimit revisions besides the live ones', async () => {
    const ns = 'history';
    await createNamespace(k(), ns);
    const ready = autoReady(k(), ns);
    await createSet(k(), statefulSet(ns, 'h', { replicas: 1, revisionHistoryLimit: 1 }));
    await allReady(ns, 'h', 1);
    for (const tag of ['2', '3', '4']) {
      await updateSpec(k(), ns, 'h', setImage(`busybox:${tag}`));
      await eventually(async () => {
        const s = (await getSet(k(), ns, 'h')).status;
        return s?.updatedReplicas === 1 && s.currentRevision === s.updateRevision && s.readyReplicas === 1 && (await listPods(k(), ns))[0]?.spec?.containers[0].image === `busybox:${tag}`;
      }, 10_000, `rolled to ${tag}`);
    }
    // revision 4 is live; of 1..3 only the newest stays
    await eventually(async () => (await listRevisions(k(), ns)).map((r) => r.revision).join() === '3,4', 10_000, 'history trimmed to 3,4');
    ready.stop();
  });

  it('with maxUnavailable, takes that many replicas down at once', async () => {
    const ns = 'max-unavailable';
    await createNamespace(k(), ns);
    const ready = autoReady(k(), ns);
    await createSet(k(), statefulSet(ns, 'mu', { replicas: 4, podManagementPolicy: 'Parallel' }));
    await allReady(ns, 'mu', 4);
    ready.stop();
    const deletions = await recordDeletions(k(), ns);
    await updateSpec(k(), ns, 'mu', (s) => {
      s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } };
      setImage('busybox:2')(s);
    });
    await eventually(() => deletions.names.length >= 2, 10_000, 'two deletions');
    await sleep(400);
    // mu-3 and mu-2 went together; the others wait for them to be Ready
    expect(deletions.names).toEqual(['mu-3', 'mu-2']);
    deletions.stop();
  });
});

describe('OnDelete', () => {
  it('updates a pod only when it is deleted', async () => {
    const ns = 'on-delete';
    await createNamespace(k(), ns);
    const ready = autoReady(k(), ns);
    await createSet(k(), statefulSet(ns, 'od', { replicas: 2, updateStrategy: { type: 'OnDelete' } }));
    const oldRev = (await allReady(ns, 'od', 2)).status!.updateRevision!;
    await updateSpec(k(), ns, 'od', setImage('busybox:2'));
    const newRev = await eventually(async () => {
      const s = (await getSet(k(), ns, 'od')).status;
      return s?.updateRevision !== oldRev ? s?.updateRevision : undefined;
    }, 10_000, 'a new update revision');
    await sleep(400);
    expect(await revisionsOf(ns)).toEqual({ 'od-0': oldRev, 'od-1': oldRev });

    await k().delete(PODS, ns, 'od-1');
    await eventually(async () => (await getPod(k(), ns, 'od-1'))?.metadata.labels?.[REV] === newRev, 10_000, 'od-1 made at the update revision');
    const st = await eventually(async () => {
      const s = (await getSet(k(), ns, 'od')).status;
      return s?.updatedReplicas === 1 && s.readyReplicas === 2 ? s : undefined;
    }, 10_000, 'status after od-1');
    expect(st).toMatchObject({ currentRevision: oldRev, updateRevision: newRev, currentReplicas: 1 });
    expect((await revisionsOf(ns))['od-0']).toBe(oldRev);
    ready.stop();
  });

  it('logged no warnings', () => {
    expect(env.warnings).toEqual([]);
  });
});
