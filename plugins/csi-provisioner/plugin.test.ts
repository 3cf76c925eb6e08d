// The node provisioner against a real kernel with the real driver process (`skiff csi-hostpath`,
// registered through plugins_registry with the csi-node plugin): PVC → CreateVolume → PV with node
// affinity; growth → ControllerExpandVolume and FileSystemResizePending; Released with reclaim
// Delete → DeleteVolume and the PV gone; refusals as ProvisioningFailed with nothing left behind.
// The PV controller and the scheduler are not here: the test sets what they would (the
// storage-provisioner and selected-node annotations, binding, the Released phase).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { PVCS, PVS, STORAGE_CLASSES, type KObject } from '@skiff/api';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { csi } from '@skiff/node-api';
import csiNode from '@skiff/plugin-csi-node/plugin';
import { HOSTPATH_DRIVER_NAME, HOSTPATH_TOPOLOGY_KEY, volumeIdFor } from '@skiff/plugin-csi-node/hostpath';
import { hostpathUnavailable, tempRoot, type TempRoot } from '../csi-node/testing.ts';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { ANN_PROVISIONED_BY, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, FS_RESIZE_PENDING, PROVISIONER_FINALIZER, type Pv, type Pvc } from './objects.ts';
import plugin from './plugin.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };
const CSI_NODES = { group: 'storage.k8s.io', version: 'v1', resource: 'csinodes' };
const eventually = <T>(fn: () => T | Promise<T>) => vi.waitFor(fn, { timeout: 20_000, interval: 100 });

/** StorageClass and CSINode as storage.k8s.io serves them, where the kernel does not yet (storage-cp adds the real kinds) */
function ensureStorageKinds(t: TestKernel): void {
  for (const [kind, resource] of [['StorageClass', 'storageclasses'], ['CSINode', 'csinodes']] as const) {
    try {
      t.kernel.kindFor({ group: 'storage.k8s.io', version: 'v1', resource });
    } catch {
      t.kernel.registerKind({ group: 'storage.k8s.io', version: 'v1', kind, resource, namespaced: false });
    }
  }
}

describeNeeding(['root', ['root', hostpathUnavailable]], 'csi-provisioner with the host-path driver process', () => {
  let t: TestKernel;
  let host: PluginHost;
  let tmp: TempRoot;
  let driver: ChildProcess | undefined;
  let driverLog = '';

  const startDriver = () => {
    driver = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'cli', 'main.ts'), 'csi-hostpath', '--root-dir', tmp.root, '--node-id', 'node-a', '--data-dir', tmp.dataDir, '--capacity', '2Gi', '--max-volumes', '5'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    driver.stdout!.on('data', (b: Buffer) => (driverLog += b));
    driver.stderr!.on('data', (b: Buffer) => (driverLog += b));
  };
  const stopDriver = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const d = driver;
    driver = undefined;
    if (!d || d.exitCode !== null) return;
    const exited = new Promise((r) => d.once('exit', r));
    d.kill(signal);
    await exited;
  };

  beforeEach(async () => {
    tmp = tempRoot('skiff-csi-prov-');
    t = await startTestKernel();
    ensureStorageKinds(t);
    await t.kernel.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
    startDriver();
    host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'error' }) });
    await host.load([
      { descriptor: csiNode, config: { rootDir: tmp.root, nodeName: 'node-a', resyncMs: 300 } },
      { descriptor: plugin, config: { nodeName: 'node-a' } },
    ]);
    await eventually(() => expect(host.resolve(csi.CsiDriversToken).get(HOSTPATH_DRIVER_NAME)).toBeDefined()).catch((e) => {
      throw new Error(`the driver did not register: ${e}\n${driverLog}`);
    });
    // the node's topology label (node-info) comes before provisioning can ask for it
    await eventually(async () => expect((await t.kernel.get(NODES, undefined, 'node-a')).metadata.labels?.[HOSTPATH_TOPOLOGY_KEY]).toBe('node-a'));
  });
  afterEach(async () => {
    await host?.stopAll();
    await stopDriver();
    await t?.stop();
    await tmp.cleanup();
  });

  const storageClass = (name: string, extra: Record<string, unknown> = {}) =>
    t.kernel.create(STORAGE_CLASSES, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: HOSTPATH_DRIVER_NAME, reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true, ...extra } as KObject);
  const claim = async (name: string, size: string, o: { className?: string; selectedNode?: string | null; accessModes?: string[] } = {}) =>
    (await t.kernel.create(PVCS, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace: 'default',
        annotations: { [ANN_STORAGE_PROVISIONER]: HOSTPATH_DRIVER_NAME, ...(o.selectedNode === null ? {} : { [ANN_SELECTED_NODE]: o.selectedNode ?? 'node-a' }) },
      },
      spec: { accessModes: o.accessModes ?? ['ReadWriteOnce'], storageClassName: o.className ?? 'hostpath', resources: { requests: { storage: size } } },
    } as KObject)) as Pvc;
  const eventsOf = async (name: string) =>
    ((await t.kernel.list(EVENTS, { namespace: 'default' })).items as never as { reason: string; type: string; message: string; involvedObject: { name: string } }[]).filter((e) => e.involvedObject.name === name);
  const image = (pvc: Pvc) => join(tmp.dataDir, 'volumes', `${volumeIdFor(`pvc-${pvc.metadata.uid}`)}.img`);
  const driverVolumes = () => (existsSync(join(tmp.dataDir, 'volumes.json')) ? (JSON.parse(readFileSync(join(tmp.dataDir, 'volumes.json'), 'utf8')) as { volumes: { name: string }[] }).volumes.map((v) => v.name) : []);

  it('provisions a PV with node affinity, expands it, and deletes the volume and the PV when Released', async () => {
    await storageClass('hostpath', { parameters: { 'csi.storage.k8s.io/fstype': 'xfs' } });
    const pvc = await claim('data', '500Mi');
    const pvName = `pvc-${pvc.metadata.uid}`;
    const pv = await eventually(async () => (await t.kernel.get(PVS, undefined, pvName)) as Pv);
    expect(pv.metadata.annotations?.[ANN_PROVISIONED_BY]).toBe(HOSTPATH_DRIVER_NAME);
    expect(pv.metadata.finalizers).toContain(PROVISIONER_FINALIZER);
    expect(pv.spec).toMatchObject({
      capacity: { storage: '500Mi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'hostpath',
      claimRef: { namespace: 'default', name: 'data', uid: pvc.metadata.uid },
      csi: { driver: HOSTPATH_DRIVER_NAME, volumeHandle: volumeIdFor(pvName), fsType: 'xfs' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTPATH_TOPOLOGY_KEY, operator: 'In', values: ['node-a'] }] }] } },
    });
    expect(statSync(image(pvc)).size).toBe(500 * 2 ** 20);
    await eventually(async () => expect((await eventsOf('data')).map((e) => e.reason)).toContain('ProvisioningSucceeded'));

    // bound, as the PV controller would
    await t.kernel.patch(PVS, undefined, pvName, 'merge', { status: { phase: 'Bound' } }, { subresource: 'status' });
    const bound = (await t.kernel.patch(PVCS, 'default', 'data', 'merge', { spec: { volumeName: pvName } })) as Pvc;
    await t.kernel.patch(PVCS, 'default', 'data', 'merge', { status: { phase: 'Bound', capacity: { storage: '500Mi' } } }, { subresource: 'status' });
    expect(bound.spec.volumeName).toBe(pvName);

    // expansion
    await t.kernel.patch(PVCS, 'default', 'data', 'merge', { spec: { resources: { requests: { storage: '800Mi' } } } });
    await eventually(async () => expect(((await t.kernel.get(PVS, undefined, pvName)) as Pv).spec.capacity?.storage).toBe('800Mi'));
    await eventually(async () => {
      const p = (await t.kernel.get(PVCS, 'default', 'data')) as Pvc;
      expect(p.status?.conditions?.map((c) => [c.type, c.status])).toEqual([[FS_RESIZE_PENDING, 'True']]);
      expect(p.status?.capacity?.storage).toBe('500Mi'); // the kubelet sets it once the filesystem has grown
    });
    expect(statSync(image(pvc)).size).toBe(800 * 2 ** 20);

    // the claim is gone: Released, reclaim Delete
    await t.kernel.patch(PVS, undefined, pvName, 'merge', { status: { phase: 'Released' } }, { subresource: 'status' });
    await eventually(async () => expect(await t.kernel.get(PVS, undefined, pvName).then(() => 'there', () => 'gone')).toBe('gone'));
    expect(existsSync(image(pvc))).toBe(false);
    expect(driverVolumes()).toEqual([]);
  }, 90_000);

  it('claims an Immediate PVC for this node; keeps a Retain volume', async () => {
    await storageClass('now', { volumeBindingMode: 'Immediate', reclaimPolicy: 'Retain' });
    const pvc = await claim('now', '300Mi', { className: 'now', selectedNode: null });
    await eventually(async () => expect((await t.kernel.get(PVCS, 'default', 'now')).metadata.annotations?.[ANN_SELECTED_NODE]).toBe('node-a'));
    const pvName = `pvc-${pvc.metadata.uid}`;
    const pv = await eventually(async () => (await t.kernel.get(PVS, undefined, pvName)) as Pv);
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(pv.metadata.finalizers ?? []).not.toContain(PROVISIONER_FINALIZER);
    await t.kernel.patch(PVS, undefined, pvName, 'merge', { status: { phase: 'Released' } }, { subresource: 'status' });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await t.kernel.get(PVS, undefined, pvName)).metadata.name).toBe(pvName);
    expect(existsSync(image(pvc))).toBe(true);
  }, 60_000);

  it('refuses more than the driver has, an access mode it does not support, and a missing class, leaving nothing behind', async () => {
    await storageClass('hostpath');
    await claim('huge', '10Gi');
    await claim('shared', '300Mi', { accessModes: ['ReadWriteMany'] });
    await claim('noclass', '300Mi', { className: 'missing' });
    await eventually(async () => {
      const huge = (await eventsOf('huge')).find((e) => e.reason === 'ProvisioningFailed');
      expect(huge).toMatchObject({ type: 'Warning', message: expect.stringMatching(/OUT_OF_RANGE: .*more than this driver's whole capacity/) });
      const shared = (await eventsOf('shared')).find((e) => e.reason === 'ProvisioningFailed');
      expect(shared).toMatchObject({ type: 'Warning', message: expect.stringMatching(/INVALID_ARGUMENT: .*MULTI_NODE_MULTI_WRITER is not supported/) });
      const noclass = (await eventsOf('noclass')).find((e) => e.reason === 'ProvisioningFailed');
      expect(noclass?.message).toBe('storageclass.storage.k8s.io "missing" not found');
    });
    expect((await t.kernel.list(PVS)).items).toEqual([]);
    expect(driverVolumes()).toEqual([]);
  }, 60_000);

  it('gives a WaitForFirstConsumer claim back to the scheduler when this node has no room left', async () => {
    await storageClass('hostpath');
    const big = await claim('big', '1800Mi');
    await eventually(async () => expect(await t.kernel.get(PVS, undefined, `pvc-${big.metadata.uid}`)).toBeDefined());
    await claim('over', '400Mi');
    await eventually(async () => expect((await t.kernel.get(PVCS, 'default', 'over')).metadata.annotations?.[ANN_SELECTED_NODE]).toBeUndefined());
    const failed = (await eventsOf('over')).find((e) => e.reason === 'ProvisioningFailed');
    expect(failed?.message).toMatch(/RESOURCE_EXHAUSTED/);
    expect(driverVolumes()).toEqual([`pvc-${big.metadata.uid}`]);
  }, 60_000);

  it('deregisters a driver whose process dies without removing its socket', async () => {
    await stopDriver('SIGKILL');
    expect(existsSync(join(tmp.root, 'plugins_registry', `${HOSTPATH_DRIVER_NAME}-reg.sock`))).toBe(true);
    await eventually(() => expect(host.resolve(csi.CsiDriversToken).list()).toEqual([]));
    await eventually(async () => expect(((await t.kernel.get(CSI_NODES, undefined, 'node-a')) as never as { spec: { drivers?: unknown[] } }).spec.drivers ?? []).toEqual([]));
    // it comes back
    startDriver();
    await eventually(() => expect(host.resolve(csi.CsiDriversToken).list().map((d) => d.name)).toEqual([HOSTPATH_DRIVER_NAME]));
  }, 60_000);
});
