// Parallel pod management: every ordinal is created (and removed) at once, ready or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import { createNamespace, createSet, eventsIn, eventually, getSet, listPods, podNames, sleep, startStatefulSetController, statefulSet, updateSpec } from './testing.ts';

let env: ControllerTestEnv;
const k = () => env.t.kernel;

beforeAll(async () => {
  env = await startStatefulSetController();
});
afterAll(() => env?.stop());

describe('Parallel', () => {
  it('creates every pod at once without waiting for readiness', async () => {
    const ns = 'parallel';
    await createNamespace(k(), ns);
    await createSet(k(), statefulSet(ns, 'cache', { replicas: 5, podManagementPolicy: 'Parallel' }));
    await eventually(async () => (await podNames(k(), ns)).length === 5, 10_000, 'five pods');
    expect(await podNames(k(), ns)).toEqual(['cache-0', 'cache-1', 'cache-2', 'cache-3', 'cache-4']);
    for (const p of await listPods(k(), ns)) expect(p.status?.phase).toBe('Pending');
    const st = await eventually(async () => {
      const s = await getSet(k(), ns, 'cache');
      return s.status?.replicas === 5 ? s.status : undefined;
    }, 5000, 'status.replicas 5');
    expect(st.readyReplicas ?? 0).toBe(0);
    expect(st.availableReplicas).toBe(0);
    expect(st.updatedReplicas).toBe(5);
  });

  it('scales down every extra pod at once, ready or not', async () => {
    const ns = 'parallel';
    await updateSpec(k(), ns, 'cache', (s) => void (s.replicas = 2));
    await eventually(async () => (await podNames(k(), ns)).length === 2, 10_000, 'two pods');
    expect(await podNames(k(), ns)).toEqual(['cache-0', 'cache-1']);
    const deletes = await eventually(async () => {
      const e = (await eventsIn(k(), ns)).filter((x) => x.startsWith('SuccessfulDelete'));
      return e.length === 3 ? e : undefined;
    }, 5000, 'three SuccessfulDelete events');
    expect(deletes.sort()).toEqual([2, 3, 4].map((i) => `SuccessfulDelete: delete Pod cache-${i} in StatefulSet cache successful`));
    await sleep(200);
    expect((await eventsIn(k(), ns)).filter((x) => x.startsWith('Failed'))).toEqual([]);
  });

  it('adopts an orphan pod whose name and labels make it a member, and makes the missing ordinals', async () => {
    const ns = 'adopt';
    await createNamespace(k(), ns);
    const orphan = await k().create(PODS, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'kv-1', namespace: ns, labels: { app: 'kv' } },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
    });
    // a pod of another name is no member, labels or not
    await k().create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'kvx-1', namespace: ns, labels: { app: 'kv' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
    // OnDelete: a RollingUpdate would replace the adopted pod, which has no revision
    const set = await createSet(k(), statefulSet(ns, 'kv', { replicas: 2, podManagementPolicy: 'Parallel', updateStrategy: { type: 'OnDelete' } }));
    await eventually(async () => (await podNames(k(), ns)).length === 3, 10_000, 'kv-0 made');
    const adopted = await eventually(async () => {
      const p = (await listPods(k(), ns)).find((x) => x.metadata.name === 'kv-1');
      return p?.metadata.ownerReferences?.length ? p : undefined;
    }, 10_000, 'kv-1 adopted');
    expect(adopted.metadata.uid).toBe(orphan.metadata.uid);
    expect(adopted.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'kv', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    const other = (await listPods(k(), ns)).find((x) => x.metadata.name === 'kvx-1');
    expect(other?.metadata.ownerReferences).toBeUndefined();
    // the adopted pod gets its identity label
    await eventually(async () => (await listPods(k(), ns)).find((x) => x.metadata.name === 'kv-1')?.metadata.labels?.['statefulset.kubernetes.io/pod-name'] === 'kv-1', 10_000, 'kv-1 identity');
  });

  it('logged no warnings', () => {
    expect(env.warnings).toEqual([]);
  });
});
