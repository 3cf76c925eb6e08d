// OrderedReady: pods made one at a time in ordinal order, each after the previous is Running and
// Ready (and available for minReadySeconds), removed from the highest ordinal down, one at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import {
  createNamespace, createSet, eventsIn, eventually, getPod, getSet, listRevisions, markRunningReady, podNames, recordDeletions,
  setPodPhase, sleep, startStatefulSetController, statefulSet, updateSpec,
} from './testing.ts';

let env: ControllerTestEnv;
const k = () => env.t.kernel;

beforeAll(async () => {
  env = await startStatefulSetController();
});
afterAll(() => env?.stop());

/** Wait for `name` to exist, then check for `settleMs` that nothing more appears. */
async function expectOnly(ns: string, names: string[], settleMs = 400): Promise<void> {
  await eventually(async () => JSON.stringify(await podNames(k(), ns)) === JSON.stringify(names), 10_000, `pods ${names.join(',')}`);
  await sleep(settleMs);
  expect(await podNames(k(), ns)).toEqual(names);
}

describe('OrderedReady', () => {
  it('creates 0, 1, 2 in order, each only after the previous is Running and Ready, with stable identities', async () => {
    const ns = 'ordered';
    await createNamespace(k(), ns);
    const set = await createSet(k(), statefulSet(ns, 'web'));

    await expectOnly(ns, ['web-0']);
    await markRunningReady(k(), ns, 'web-0');
    await expectOnly(ns, ['web-0', 'web-1']);
    // Running but not Ready does not count
    await setPodPhase(k(), ns, 'web-1', 'Running', false);
    await expectOnly(ns, ['web-0', 'web-1']);
    await markRunningReady(k(), ns, 'web-1');
    await expectOnly(ns, ['web-0', 'web-1', 'web-2']);
    await markRunningReady(k(), ns, 'web-2');

    const st = await eventually(async () => {
      const s = await getSet(k(), ns, 'web');
      return s.status?.readyReplicas === 3 && s.status.availableReplicas === 3 ? s.status : undefined;
    }, 10_000, 'status with 3 ready');
    const [rev] = await listRevisions(k(), ns);
    expect(st).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1, collisionCount: 0 });
    expect(st.currentRevision).toBe(rev.metadata.name);
    expect(st.updateRevision).toBe(rev.metadata.name);

    const pod = (await getPod(k(), ns, 'web-1'))!;
    expect(pod.metadata.labels).toEqual({
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-1',
      'apps.kubernetes.io/pod-index': '1',
      'controller-revision-hash': rev.metadata.name,
    });
    expect(pod.metadata.generateName).toBe('web-');
    expect(pod.spec?.hostname).toBe('web-1');
    expect(pod.spec?.subdomain).toBe('web');
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);

    const events = await eventually(async () => {
      const e = (await eventsIn(k(), ns)).filter((x) => x.startsWith('SuccessfulCreate'));
      return e.length === 3 ? e : undefined;
    }, 5000, 'three SuccessfulCreate events');
    expect(events).toEqual([0, 1, 2].map((i) => `SuccessfulCreate: create Pod web-${i} in StatefulSet web successful`));
  });

  it('scales down 3 -> 1 from the highest ordinal, waiting for each pod to be gone', async () => {
    const ns = 'ordered';
    // hold web-2 in Terminating with a finalizer: web-1 must wait for it
    const p2 = (await getPod(k(), ns, 'web-2'))!;
    await k().update(PODS, { ...p2, metadata: { ...p2.metadata, finalizers: ['test.skiff.io/hold'] } });
    const deletions = await recordDeletions(k(), ns);
    await updateSpec(k(), ns, 'web', (s) => void (s.replicas = 1));

    await eventually(async () => (await getPod(k(), ns, 'web-2'))?.metadata.deletionTimestamp, 10_000, 'web-2 terminating');
    await sleep(500);
    expect((await getPod(k(), ns, 'web-1'))?.metadata.deletionTimestamp).toBeUndefined();
    const held = (await getPod(k(), ns, 'web-2'))!;
    await k().update(PODS, { ...held, metadata: { ...held.metadata, finalizers: [] } });

    await expectOnly(ns, ['web-0']);
    expect(deletions.names).toEqual(['web-2', 'web-1']);
    deletions.stop();
    const events = await eventually(async () => {
      const e = (await eventsIn(k(), ns)).filter((x) => x.startsWith('SuccessfulDelete'));
      return e.length === 2 ? e : undefined;
    }, 5000, 'two SuccessfulDelete events');
    expect(events).toEqual(['SuccessfulDelete: delete Pod web-2 in StatefulSet web successful', 'SuccessfulDelete: delete Pod web-1 in StatefulSet web successful']);
    await eventually(async () => (await getSet(k(), ns, 'web')).status?.replicas === 1, 5000, 'status.replicas 1');
  });

  it('deletes a failed pod and makes it again', async () => {
    const ns = 'ordered';
    const before = (await getPod(k(), ns, 'web-0'))!;
    await setPodPhase(k(), ns, 'web-0', 'Failed', false);
    const after = await eventually(async () => {
      const p = await getPod(k(), ns, 'web-0');
      return p && p.metadata.uid !== before.metadata.uid ? p : undefined;
    }, 10_000, 'a new web-0');
    expect(after.status?.phase).toBe('Pending');
    expect(after.metadata.labels?.['statefulset.kubernetes.io/pod-name']).toBe('web-0');
  });

  it('waits minReadySeconds after Ready before the next ordinal', async () => {
    const ns = 'min-ready';
    await createNamespace(k(), ns);
    await createSet(k(), statefulSet(ns, 'db', { replicas: 2, minReadySeconds: 2 }));
    await eventually(() => getPod(k(), ns, 'db-0'), 10_000, 'db-0');
    await markRunningReady(k(), ns, 'db-0');
    const readyAt = Date.now();
    await eventually(() => getPod(k(), ns, 'db-1'), 10_000, 'db-1');
    expect(Date.now() - readyAt).toBeGreaterThanOrEqual(1900);
    const s = await getSet(k(), ns, 'db');
    expect(s.status?.readyReplicas ?? 0).toBeLessThanOrEqual(1);
  });

  it('numbers pods from spec.ordinals.start', async () => {
    const ns = 'start';
    await createNamespace(k(), ns);
    await createSet(k(), statefulSet(ns, 'app', { replicas: 2, ordinals: { start: 5 } }));
    await eventually(() => getPod(k(), ns, 'app-5'), 10_000, 'app-5');
    await markRunningReady(k(), ns, 'app-5');
    const p6 = await eventually(() => getPod(k(), ns, 'app-6'), 10_000, 'app-6');
    expect(p6.metadata.labels?.['apps.kubernetes.io/pod-index']).toBe('6');
    await markRunningReady(k(), ns, 'app-6');
    await sleep(300);
    expect(await podNames(k(), ns)).toEqual(['app-5', 'app-6']);
  });

  it('logged no warnings', () => {
    expect(env.warnings).toEqual([]);
  });
});
