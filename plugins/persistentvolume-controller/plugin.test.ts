// The PV controller on a real kernel (with storage admission for the default class and the
// protection finalizers, and a test provisioner playing the node provisioner's part).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, PODS, PVCS, PVS, STORAGE_CLASSES, type PersistentVolume, type PersistentVolumeClaim } from '@skiff/api';
import type { KObject } from '@skiff/kernel';
import { eventually, startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import storageAdmission from '../storage-admission/plugin.ts';
import descriptor from './plugin.ts';
import { startTestProvisioner, type TestProvisioner } from './testing.ts';

let env: ControllerTestEnv;
let prov: TestProvisioner;
const k = () => env.t.kernel;
const DRIVER = 'test.csi.skiff.io';

beforeAll(async () => {
  env = await startControllers([{ descriptor }]);
  await env.host.load([{ descriptor: storageAdmission }]);
  prov = startTestProvisioner(env.t.kernel, { driver: DRIVER });
});
afterAll(async () => {
  prov?.stop();
  await env?.stop();
});

const pv = (name: string, size: string, more: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, ...meta },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', hostPath: { path: `/tmp/${name}` }, ...more },
});
const pvc = (ns: string, name: string, spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: ns },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'manual', ...spec },
});
const sc = (name: string, more: Record<string, unknown> = {}): KObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: DRIVER, ...more });
const getPV = (name: string) => k().get(PVS, undefined, name).then((o) => o as PersistentVolume, () => undefined);
const getPVC = (ns: string, name: string) => k().get(PVCS, ns, name).then((o) => o as PersistentVolumeClaim, () => undefined);
async function events(ns: string, name: string): Promise<string[]> {
  const items = (await k().list(EVENTS, { namespace: ns })).items as (KObject & { reason?: string; message?: string; type?: string; involvedObject?: { name?: string } })[];
  return items.filter((e) => e.involvedObject?.name === name).map((e) => `${e.type} ${e.reason}: ${e.message}`);
}
const bound = (ns: string, name: string) => eventually(async () => { const c = await getPVC(ns, name); return c?.status?.phase === 'Bound' ? c : undefined; }, 10_000, `${ns}/${name} Bound`);

describe('persistentvolume-controller', () => {
  it('binds a claim to the smallest volume that fits, both ways, with kube\'s annotations and phases', async () => {
    for (const [n, s] of [['big', '5Gi'], ['small', '1Gi'], ['medium', '2Gi']] as const) await k().create(PVS, pv(n, s));
    await k().create(PVS, pv('wrong-mode', '2Gi', { accessModes: ['ReadOnlyMany'] }));
    await eventually(async () => (await getPV('small'))?.status?.phase === 'Available', 10_000, 'volumes Available');
    await k().create(PVCS, pvc('default', 'data', { resources: { requests: { storage: '1500Mi' } } }));
    const c = await bound('default', 'data');
    expect(c.spec?.volumeName).toBe('medium');
    expect(c.metadata.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(c.status).toMatchObject({ phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'] });
    const v = await eventually(async () => { const x = await getPV('medium'); return x?.status?.phase === 'Bound' ? x : undefined; }, 10_000, 'PV Bound');
    expect(v.spec?.claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: c.metadata.uid });
    expect(v.metadata.annotations).toMatchObject({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(v.metadata.finalizers).toEqual(['kubernetes.io/pv-protection']);
    expect((await getPV('small'))?.status?.phase).toBe('Available');
  });

  it('takes a volume pre-bound to the claim, and a claim naming its volume', async () => {
    await k().create(PVS, pv('reserved', '10Gi', { claimRef: { namespace: 'default', name: 'mine' } }));
    await k().create(PVS, pv('named', '3Gi'));
    await k().create(PVCS, pvc('default', 'mine'));
    expect((await bound('default', 'mine')).spec?.volumeName).toBe('reserved');
    const named = await k().create(PVCS, pvc('default', 'by-name', { volumeName: 'named' }));
    const c = await bound('default', 'by-name');
    expect(c.spec?.volumeName).toBe('named');
    expect(c.metadata.annotations?.['pv.kubernetes.io/bound-by-controller']).toBeUndefined(); // the user chose it
    expect(c.metadata.uid).toBe(named.metadata.uid);
  });

  it('a claim nothing fits stays Pending with kube\'s event', async () => {
    await k().create(PVCS, pvc('default', 'huge', { resources: { requests: { storage: '100Gi' } }, storageClassName: '' }));
    await eventually(async () => (await events('default', 'huge')).includes('Normal FailedBinding: no persistent volumes available for this claim and no storage class is set'), 10_000, 'FailedBinding');
    expect((await getPVC('default', 'huge'))?.status?.phase).toBe('Pending');
  });

  it('hands a claim of a provisioner\'s class to the provisioner, and binds the volume it makes', async () => {
    await k().create(STORAGE_CLASSES, sc('dyn'));
    const created = await k().create(PVCS, pvc('default', 'dynamic', { storageClassName: 'dyn' }));
    const c = await bound('default', 'dynamic');
    expect(c.metadata.annotations).toMatchObject({ 'volume.kubernetes.io/storage-provisioner': DRIVER, 'volume.beta.kubernetes.io/storage-provisioner': DRIVER });
    expect(c.spec?.volumeName).toBe(`pvc-${created.metadata.uid}`);
    expect(await events('default', 'dynamic')).toContain(
      `Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner '${DRIVER}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    );
  });

  it('a claim of a class that does not exist gets a ProvisioningFailed event and stays Pending', async () => {
    await k().create(PVCS, pvc('default', 'golden', { storageClassName: 'gold' }));
    await eventually(async () => (await events('default', 'golden')).includes('Warning ProvisioningFailed: storageclass.storage.k8s.io "gold" not found'), 10_000, 'ProvisioningFailed');
    expect((await getPVC('default', 'golden'))?.status?.phase).toBe('Pending');
  });

  it('WaitForFirstConsumer: no provisioning before a node is selected', async () => {
    await k().create(STORAGE_CLASSES, sc('late', { volumeBindingMode: 'WaitForFirstConsumer' }));
    await k().create(PVCS, pvc('default', 'later', { storageClassName: 'late' }));
    await eventually(async () => (await events('default', 'later')).includes('Normal WaitForFirstConsumer: waiting for first consumer to be created before binding'), 10_000, 'WaitForFirstConsumer');
    const c = (await getPVC('default', 'later'))!;
    expect(c.metadata.annotations?.['volume.kubernetes.io/storage-provisioner']).toBeUndefined();
    await k().update(PVCS, { ...c, metadata: { ...c.metadata, annotations: { ...c.metadata.annotations, 'volume.kubernetes.io/selected-node': 'n1' } } });
    expect((await bound('default', 'later')).metadata.annotations?.['volume.kubernetes.io/storage-provisioner']).toBe(DRIVER);
  });

  it('reclaim: Retain keeps a Released volume; Delete of a provisioned one goes to its provisioner; Delete of a static one Fails with kube\'s message', async () => {
    await k().create(PVS, pv('keep', '1Gi', { storageClassName: 'retain', persistentVolumeReclaimPolicy: 'Retain' }));
    await k().create(PVS, pv('static-delete', '1Gi', { storageClassName: 'sdel', persistentVolumeReclaimPolicy: 'Delete' }));
    await k().create(PVCS, pvc('default', 'r1', { storageClassName: 'retain' }));
    await k().create(PVCS, pvc('default', 'r2', { storageClassName: 'sdel' }));
    await k().create(STORAGE_CLASSES, sc('dyn-delete'));
    await k().create(PVCS, pvc('default', 'r3', { storageClassName: 'dyn-delete' }));
    const r3 = await bound('default', 'r3');
    await bound('default', 'r1');
    await bound('default', 'r2');
    for (const n of ['r1', 'r2', 'r3']) await k().delete(PVCS, 'default', n);
    await eventually(async () => (await getPV('keep'))?.status?.phase === 'Released', 10_000, 'Retain: Released');
    const failed = await eventually(async () => { const v = await getPV('static-delete'); return v?.status?.phase === 'Failed' ? v : undefined; }, 10_000, 'static Delete: Failed');
    expect(failed.status?.message).toBe('error getting deleter volume plugin for volume "static-delete": no deletable volume plugin matched');
    expect(await events('default', 'static-delete')).toContain('Warning VolumeFailedDelete: error getting deleter volume plugin for volume "static-delete": no deletable volume plugin matched');
    // the provisioner deletes its own; pv-protection lets go of a volume that is not Bound
    await eventually(async () => (await getPV(r3.spec!.volumeName!)) === undefined, 10_000, 'provisioned volume deleted');
    expect(prov.deleted).toContain(r3.spec!.volumeName);
    await new Promise((r) => setTimeout(r, 300));
    expect((await getPV('keep'))?.status?.phase).toBe('Released');
  });

  it('a bound claim whose volume is gone is Lost (ClaimLost); a Released volume freed by an administrator is Available again', async () => {
    await k().create(PVS, pv('fragile', '1Gi', { storageClassName: 'lost' }));
    await k().create(PVCS, pvc('default', 'orphan', { storageClassName: 'lost' }));
    await bound('default', 'orphan');
    // force the volume away (deleted, then an administrator removes its finalizer)
    await k().delete(PVS, undefined, 'fragile');
    const v = (await getPV('fragile'))!;
    expect(v.metadata.deletionTimestamp).toBeDefined(); // pv-protection holds a Bound volume
    await k().update(PVS, { ...v, metadata: { ...v.metadata, finalizers: [] } });
    await eventually(async () => (await getPVC('default', 'orphan'))?.status?.phase === 'Lost', 10_000, 'Lost');
    expect(await events('default', 'orphan')).toContain('Warning ClaimLost: Bound claim has lost its PersistentVolume. Data on the volume is lost!');

    await k().create(PVS, pv('reusable', '1Gi', { storageClassName: 'again', persistentVolumeReclaimPolicy: 'Retain' }));
    await k().create(PVCS, pvc('default', 'first-user', { storageClassName: 'again' }));
    await bound('default', 'first-user');
    await k().delete(PVCS, 'default', 'first-user');
    const released = await eventually(async () => { const x = await getPV('reusable'); return x?.status?.phase === 'Released' ? x : undefined; }, 10_000, 'Released');
    const { claimRef: _gone, ...spec } = released.spec!;
    await k().update(PVS, { ...released, spec });
    await eventually(async () => (await getPV('reusable'))?.status?.phase === 'Available', 10_000, 'Available again');
    await k().create(PVCS, pvc('default', 'second-user', { storageClassName: 'again' }));
    expect((await bound('default', 'second-user')).spec?.volumeName).toBe('reusable');
  });

  it('a claim made before any class was the default gets the default later (kube\'s retroactive default class)', async () => {
    await k().create(PVCS, pvc('default', 'classless', { storageClassName: undefined }));
    await k().create(PVCS, pvc('default', 'explicitly-none', { storageClassName: '' }));
    await k().create(STORAGE_CLASSES, { ...sc('the-default'), metadata: { name: 'the-default', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
    const c = await bound('default', 'classless');
    expect(c.spec?.storageClassName).toBe('the-default');
    expect((await getPVC('default', 'explicitly-none'))?.spec?.storageClassName).toBe('');
  });

  it('pvc-protection: a claim used by a running pod stays until the pod is done; pv-protection: a Bound volume stays until released', async () => {
    await k().create(PVS, pv('guarded', '1Gi', { storageClassName: 'guard' }));
    await k().create(PVCS, pvc('default', 'guarded', { storageClassName: 'guard' }));
    await bound('default', 'guarded');
    const pod = await k().create(PODS, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'user', namespace: 'default' },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'guarded' } }] },
    });
    await k().update(PODS, { ...pod, status: { phase: 'Running' } }, { subresource: 'status' });
    await k().delete(PVS, undefined, 'guarded');
    await k().delete(PVCS, 'default', 'guarded');
    await new Promise((r) => setTimeout(r, 500));
    const c = await getPVC('default', 'guarded');
    expect(c?.metadata.deletionTimestamp).toBeDefined();
    expect(c?.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    expect((await getPV('guarded'))?.metadata.finalizers).toEqual(['kubernetes.io/pv-protection']);
    const cur = await k().get(PODS, 'default', 'user');
    await k().update(PODS, { ...cur, status: { phase: 'Succeeded' } }, { subresource: 'status' });
    await eventually(async () => (await getPVC('default', 'guarded')) === undefined, 10_000, 'claim gone');
    // claim gone: the volume is Released (Retain), no longer Bound, so its deletion completes
    await eventually(async () => (await getPV('guarded')) === undefined, 10_000, 'volume gone');
  });
});
