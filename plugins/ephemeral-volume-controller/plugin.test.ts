import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, PODS, PVCS, type PersistentVolumeClaim } from '@skiff/api';
import type { KObject } from '@skiff/kernel';
import { eventually, startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import descriptor from './plugin.ts';

let env: ControllerTestEnv;
const k = () => env.t.kernel;
beforeAll(async () => {
  env = await startControllers([{ descriptor }]);
});
afterAll(() => env?.stop());

const template = { metadata: { labels: { kind: 'scratch' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' } };
const pod = (name: string): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: template } }, { name: 'tmp', emptyDir: {} }] },
});
const getPVC = (name: string) => k().get(PVCS, 'default', name).then((o) => o as PersistentVolumeClaim, () => undefined);

describe('ephemeral-volume-controller', () => {
  it('makes <pod>-<volume> from the template, owned by the pod, and makes it again when deleted', async () => {
    const p = await k().create(PODS, pod('web'));
    const c = await eventually(() => getPVC('web-scratch'), 10_000, 'claim');
    expect(c.metadata.labels).toEqual({ kind: 'scratch' });
    expect(c.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: p.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(c.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' });
    expect(await getPVC('web-tmp')).toBeUndefined();
    await k().delete(PVCS, 'default', 'web-scratch');
    await eventually(async () => { const again = await getPVC('web-scratch'); return again && again.metadata.uid !== c.metadata.uid; }, 10_000, 'claim again');
  });

  it('never takes over a claim of that name it does not own: a Warning Event', async () => {
    await k().create(PVCS, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'db-scratch', namespace: 'default' }, spec: template.spec });
    await k().create(PODS, pod('db'));
    await eventually(async () => {
      const evs = (await k().list(EVENTS, { namespace: 'default' })).items as (KObject & { reason?: string; message?: string; type?: string })[];
      return evs.some((e) => e.type === 'Warning' && e.message === 'PVC default/db-scratch was not created for pod default/db (pod is not owner)');
    }, 10_000, 'warning');
    expect((await getPVC('db-scratch'))?.metadata.ownerReferences).toBeUndefined();
  });
});
