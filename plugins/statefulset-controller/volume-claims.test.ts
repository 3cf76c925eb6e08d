// volumeClaimTemplates: a claim <template>-<set>-<ordinal> made before each pod and mounted in it,
// and the owner references persistentVolumeClaimRetentionPolicy puts on the claims.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PVCS, type PersistentVolumeClaim, type StatefulSet } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import {
  autoReady, createNamespace, createSet, eventsIn, eventually, getPod, getSet, listClaims, podNames, sleep, startStatefulSetController,
  statefulSet, updateSpec,
} from './testing.ts';

let env: ControllerTestEnv;
const k = () => env.t.kernel;

beforeAll(async () => {
  env = await startStatefulSetController();
});
afterAll(() => env?.stop());

const withClaims = (ns: string, name: string, extra: Partial<NonNullable<StatefulSet['spec']>> = {}) =>
  statefulSet(ns, name, {
    replicas: 2,
    volumeClaimTemplates: [
      { metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      { metadata: { name: 'logs' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Mi' } } } },
    ],
    ...extra,
  });

const claim = async (ns: string, name: string) => (await listClaims(k(), ns)).find((c) => c.metadata.name === name);
const owners = (c: PersistentVolumeClaim | undefined) => (c?.metadata.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}${r.controller ? '(controller)' : ''}`);

describe('volumeClaimTemplates', () => {
  it('creates each pod\'s claims first, names them <template>-<set>-<ordinal>, mounts them, and keeps them (Retain)', async () => {
    const ns = 'claims';
    await createNamespace(k(), ns);
    const ready = autoReady(k(), ns);
    await createSet(k(), withClaims(ns, 'db'));
    await eventually(async () => (await podNames(k(), ns)).length === 2, 10_000, 'two pods');

    const claims = await listClaims(k(), ns);
    expect(claims.map((c) => c.metadata.name).sort()).toEqual(['data-db-0', 'data-db-1', 'logs-db-0', 'logs-db-1']);
    const data0 = claims.find((c) => c.metadata.name === 'data-db-0')!;
    expect(data0.metadata.labels).toEqual({ tier: 'db', app: 'db' });
    expect(data0.spec?.resources?.requests?.storage).toBe('1Gi');
    expect(data0.status?.phase).toBe('Pending'); // nothing binds it yet: the pod is made anyway
    expect(data0.metadata.ownerReferences).toBeUndefined();

    const pod0 = (await getPod(k(), ns, 'db-0'))!;
    // claims before the pod: store revisions are global and increasing
    expect(Number(data0.metadata.resourceVersion)).toBeLessThan(Number(pod0.metadata.resourceVersion));
    expect(pod0.spec?.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
      { name: 'logs', persistentVolumeClaim: { claimName: 'logs-db-0' } },
    ]);
    const events = await eventsIn(k(), ns);
    expect(events).toContain('SuccessfulCreate: create Claim data-db-0 Pod db-0 in StatefulSet db success');
    expect(events.indexOf('SuccessfulCreate: create Claim data-db-0 Pod db-0 in StatefulSet db success')).toBeLessThan(
      events.indexOf('SuccessfulCreate: create Pod db-0 in StatefulSet db successful'),
    );

    await updateSpec(k(), ns, 'db', (s) => void (s.replicas = 1));
    await eventually(async () => (await podNames(k(), ns)).length === 1, 10_000, 'scaled to 1');
    await sleep(200);
    expect((await claim(ns, 'data-db-1'))?.metadata.ownerReferences).toBeUndefined();
    ready.stop();
  });

  it('whenDeleted=Delete, whenScaled=Delete: the set controls live claims; a scaled-away pod controls its claims', async () => {
    const ns = 'retention';
    await createNamespace(k(), ns);
    const ready = autoReady(k(), ns);
    const set = await createSet(k(), withClaims(ns, 'r', { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
    await eventually(async () => (await getSet(k(), ns, 'r')).status?.readyReplicas === 2, 10_000, 'two ready');
    for (const name of ['data-r-0', 'data-r-1', 'logs-r-1']) {
      const c = await claim(ns, name);
      expect(c?.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'r', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }

    const pod1 = (await getPod(k(), ns, 'r-1'))!;
    await updateSpec(k(), ns, 'r', (s) => void (s.replicas = 1));
    await eventually(async () => (await podNames(k(), ns)).join() === 'r-0', 10_000, 'r-1 gone');
    // the claims of r-1 now belong to (the gone) r-1, for the garbage collector to delete
    for (const name of ['data-r-1', 'logs-r-1']) {
      const c = await claim(ns, name);
      expect(c?.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'r-1', uid: pod1.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect(owners(await claim(ns, 'data-r-0'))).toEqual(['StatefulSet/r(controller)']);

    // scaling back up waits while claims of the old r-1 remain: they are about to be collected
    await updateSpec(k(), ns, 'r', (s) => void (s.replicas = 2));
    await sleep(500);
    expect(await podNames(k(), ns)).toEqual(['r-0']);
    for (const name of ['data-r-1', 'logs-r-1']) await k().delete(PVCS, ns, name); // what the garbage collector does
    const fresh = await eventually(() => getPod(k(), ns, 'r-1'), 10_000, 'r-1 again');
    expect(fresh.metadata.uid).not.toBe(pod1.metadata.uid);
    const data1 = await eventually(() => claim(ns, 'data-r-1'), 5000, 'data-r-1 again');
    expect(owners(data1)).toEqual(['StatefulSet/r(controller)']);
    ready.stop();
  });

  it('whenDeleted=Retain, whenScaled=Delete: only claims of scaled-away pods get an owner', async () => {
    const ns = 'scaled';
    await createNamespace(k(), ns);
    const ready = autoReady(k(), ns);
    await createSet(k(), withClaims(ns, 's', { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' } }));
    await eventually(async () => (await getSet(k(), ns, 's')).status?.readyReplicas === 2, 10_000, 'two ready');
    expect(owners(await claim(ns, 'data-s-1'))).toEqual([]);
    await updateSpec(k(), ns, 's', (s) => void (s.replicas = 1));
    await eventually(async () => (await podNames(k(), ns)).join() === 's-0', 10_000, 's-1 gone');
    expect(owners(await claim(ns, 'data-s-1'))).toEqual(['Pod/s-1(controller)']);
    expect(owners(await claim(ns, 'data-s-0'))).toEqual([]);
    ready.stop();
  });

  it('logged no warnings', () => {
    expect(env.warnings).toEqual([]);
  });
});
