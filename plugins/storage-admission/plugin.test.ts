// Storage admission on a real kernel: the default class, protection finalizers, and kube's refusal
// of a resize the class does not allow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PVCS, PVS, STORAGE_CLASSES } from '@skiff/api';
import { StatusError, type KObject } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import descriptor, { defaultClass } from './plugin.ts';

let t: TestKernel;
let host: PluginHost;
beforeAll(async () => {
  t = await startTestKernel();
  host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'error' }) });
  await host.load([{ descriptor }]);
});
afterAll(async () => {
  await host?.stopAll();
  await t?.stop();
});

const k = () => t.kernel;
const sc = (name: string, more: Record<string, unknown> = {}, isDefault = false): KObject => ({
  apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  provisioner: 'hostpath.csi.skiff.io', ...more,
});
const pvc = (name: string, spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}
const classOf = (o: KObject) => (o.spec as { storageClassName?: string }).storageClassName;

describe('storage-admission', () => {
  it('without a default class a claim stays without one; with one it gets it; "" means none', async () => {
    expect(classOf(await k().create(PVCS, pvc('before')))).toBeUndefined();
    await k().create(STORAGE_CLASSES, sc('standard', {}, true));
    await eventually(async () => classOf(await k().create(PVCS, pvc(`probe-${Date.now()}`), { dryRun: true })) === 'standard', 5000, 'informer sees the class');
    expect(classOf(await k().create(PVCS, pvc('after')))).toBe('standard');
    expect(classOf(await k().create(PVCS, pvc('none', { storageClassName: '' })))).toBe('');
    expect(classOf(await k().create(PVCS, pvc('own', { storageClassName: 'fast' })))).toBe('fast');
  });

  it('of several defaults, the newest wins', () => {
    const a = { ...sc('a', {}, true), metadata: { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } };
    const b = { ...sc('b', {}, true), metadata: { name: 'b', creationTimestamp: '2026-02-01T00:00:00Z', annotations: { 'storageclass.beta.kubernetes.io/is-default-class': 'true' } } };
    const c = { ...sc('c'), metadata: { name: 'c', creationTimestamp: '2026-03-01T00:00:00Z' } };
    expect(defaultClass([a, b, c] as never)?.metadata.name).toBe('b');
  });

  it('adds the protection finalizers to new claims and volumes', async () => {
    const c = await k().create(PVCS, pvc('protected'));
    expect(c.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    const v = await k().create(PVS, {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-protected' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/x' } },
    });
    expect(v.metadata.finalizers).toEqual(['kubernetes.io/pv-protection']);
  });

  it('lets a bound claim grow only when its class allows expansion (403 with kube\'s message), never shrink (422)', async () => {
    await k().create(STORAGE_CLASSES, sc('rigid'));
    await k().create(STORAGE_CLASSES, sc('elastic', { allowVolumeExpansion: true }));
    const bind = async (name: string, cls: string) => {
      const c = await k().create(PVCS, pvc(name, { storageClassName: cls }));
      return k().update(PVCS, { ...c, status: { phase: 'Bound' } }, { subresource: 'status' });
    };
    const grow = (c: KObject, storage: string) => k().update(PVCS, { ...c, spec: { ...(c.spec as object), resources: { requests: { storage } } } });
    const rigid = await bind('rigid-claim', 'rigid');
    // (a class the informer has not seen yet is read from the store)
    const e = await failure(grow(rigid, '2Gi'));
    expect(e.status).toMatchObject({
      code: 403, reason: 'Forbidden',
      message: 'persistentvolumeclaims "rigid-claim" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
    });
    const elastic = await bind('elastic-claim', 'elastic');
    const grown = await grow(elastic, '2Gi');
    expect((grown.spec as any).resources.requests.storage).toBe('2Gi');
    const shrink = await failure(grow(grown, '1Gi'));
    expect(shrink.status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(shrink.status.details?.causes).toEqual([{ reason: 'FieldValueForbidden', field: 'spec.resources.requests.storage', message: 'Forbidden: field can not be less than previous value' }]);
  });
});
