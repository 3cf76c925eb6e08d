// Persistent volumes in pods under the kubelet's PodManager, with real mounts: a real kernel, the
// real PodConfigurer, the in-memory CRI runtime, and the in-memory CSI driver of
// @skiff/node-api/testing in its bind-mount mode (a volume is a directory; NodeStage and
// NodePublish bind-mount it, as a host-path driver does). The PV controller is not here: the tests
// put claims and volumes in the states issue 14's contract says it leaves them in.
// The resync is a minute long: a claim bound or waiting on its file system reaches its pods through
// the claim watch. Every mount the tests make is under one temp root; afterAll unmounts whatever is
// left there.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { POD_UID } from '@skiff/node-api';
import { FakeCsiDriver, FakeCsiDrivers, FakeRuntime } from '@skiff/node-api/testing';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { csiPublishPath, csiStagingPath } from './pod-config/csi-paths.ts';
import { parseMountsUnder } from './pod-config/mounter.ts';
import { createPodConfigurer } from './pod-configurer-impl.ts';
import { PodManager } from './pod-manager.ts';

const NODE = 'vol-node';
const NS = 'vols';
const DRIVER = 'hostpath.csi.skiff.io';
const PODS = { group: '', version: 'v1', resource: 'pods' };
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };

let tk: TestKernel;
let root: string;
let cri: FakeRuntime;
let driver: FakeCsiDriver;
let drivers: FakeCsiDrivers;
let pods: PodManager | undefined;

const mountsUnder = (dir: string) => parseMountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), dir);

function startAgent(): PodManager {
  const config = createPodConfigurer({
    kernel: tk.kernel, cri, rootDir: root, podLogRoot: join(root, 'logs'), nodeName: NODE, clusterDNS: [], clusterDomain: 'cluster.local', csiDrivers: drivers,
  });
  return new PodManager(tk.kernel, cri, config, { nodeName: NODE, hostIP: '192.0.2.1', relistMs: 50, resyncMs: 60_000, backoffInitialMs: 1_000 }, silentLogger);
}

beforeAll(async () => {
  tk = await startTestKernel();
  // mountinfo shows real paths: no symlink in the root
  root = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-pm-vols-')));
  await tk.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  // a container named "job" completes (exit 0) after 200 ms
  cri = new FakeRuntime({ podCIDR: '10.244.6.0/24', behaviour: (c) => (c.metadata.name === 'job' ? { exitAfterMs: 200, exitCode: 0 } : undefined) });
  driver = new FakeCsiDriver({ name: DRIVER, mount: 'bind', dataDir: join(root, 'csi-data') });
  drivers = new FakeCsiDrivers();
  drivers.register(driver);
  // the CSIDriver object a host-path driver's deployment makes (attachRequired must be said: kube's default is true)
  await tk.kernel.create({ group: 'storage.k8s.io', version: 'v1', resource: 'csidrivers' }, {
    apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: DRIVER },
    spec: { attachRequired: false, podInfoOnMount: true, fsGroupPolicy: 'File', volumeLifecycleModes: ['Persistent', 'Ephemeral'] },
  });
  pods = startAgent();
  await pods.start();
});
afterAll(async () => {
  await pods?.stop();
  cri?.close();
  await tk?.stop();
  if (root) {
    for (const m of mountsUnder(root)) {
      try {
        execFileSync('umount', ['-l', m.path]);
      } catch {
        // already gone
      }
    }
    if (!mountsUnder(root).length) rmSync(root, { recursive: true, force: true });
  }
});

/** A CSI PV and its claim, bound (as the PV controller leaves them). */
async function boundClaim(name: string, opts: { bound?: boolean } = {}): Promise<{ pvc: KObject; pv: string; handle: string }> {
  const pv = `pvc-${name}`;
  const handle = `vol-${name}`;
  const pvc = await tk.kernel.create(PVCS, {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: NS },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'hostpath' },
  });
  await tk.kernel.create(PVS, {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: pv, annotations: { 'pv.kubernetes.io/provisioned-by': DRIVER } },
    spec: {
      capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'hostpath', persistentVolumeReclaimPolicy: 'Delete',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name, uid: pvc.metadata.uid },
      csi: { driver: DRIVER, volumeHandle: handle, fsType: 'ext4', volumeAttributes: { kind: 'directory' } },
    },
  });
  if (opts.bound !== false) await bind(name, pv);
  return { pvc, pv, handle };
}

async function bind(claim: string, pv: string): Promise<void> {
  await tk.kernel.patch(PVCS, NS, claim, 'merge', { spec: { volumeName: pv } });
  await tk.kernel.patch(PVCS, NS, claim, 'merge', { status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } } }, { subresource: 'status' });
}

const createPod = (name: string, claim: string, extra: Record<string, unknown> = {}) =>
  tk.kernel.create(PODS, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS },
    spec: {
      nodeName: NODE, ...extra,
      containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
    },
  });
const phaseOf = async (name: string) => ((await tk.kernel.get(PODS, NS, name)).status as { phase?: string } | undefined)?.phase;
const running = (name: string) => eventually(async () => ((await phaseOf(name)) === 'Running' ? true : undefined), 10_000, `${name} Running`);
const gone = (name: string) => eventually(async () => (await tk.kernel.get(PODS, NS, name).then(() => undefined, () => true)), 10_000, `${name} gone`);
/** The pod is gone from the API and nothing is mounted for it any more (its volume or the staged one). */
const goneAndUnmounted = async (name: string) => {
  await gone(name);
  await eventually(async () => (mountsUnder(root).length === 0 ? true : undefined), 10_000, `${name}'s volumes unmounted`);
};
const containersOf = (uid: string) => cri.listContainersNow().filter((c) => c.labels[POD_UID] === uid);
const eventsOf = async (name: string) => (await tk.kernel.list(EVENTS, { namespace: NS })).items.filter((e) => (e.involvedObject as { name: string }).name === name);

describeNeeding(['root'], 'PodManager with CSI volumes (real bind mounts)', () => {
  it('waits Pending with FailedMount while the claim is unbound; once bound: staged, published, mounted into the container; deleted: unpublished, unstaged', async () => {
    const { pv, handle } = await boundClaim('data1', { bound: false });
    const pod = await createPod('writer', 'data1');
    const uid = pod.metadata.uid!;
    const failed = await eventually(async () => (await eventsOf('writer')).find((e) => e.reason === 'FailedMount'), 10_000, 'FailedMount');
    expect(failed).toMatchObject({ type: 'Warning', message: `MountVolume.SetUp failed for volume "data" : error processing PVC ${NS}/data1: PVC ${NS}/data1 has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")` });
    expect(await phaseOf('writer')).toBe('Pending');
    expect(cri.listSandboxesNow().filter((s) => s.labels[POD_UID] === uid)).toEqual([]);
    expect(driver.calls).toEqual([]);

    await bind('data1', pv);
    await running('writer');
    const staging = csiStagingPath(root, DRIVER, handle);
    const target = csiPublishPath(root, uid, pv);
    expect(mountsUnder(root).map((m) => m.path).sort()).toEqual([staging, target].sort());
    const [c] = containersOf(uid);
    const st = await cri.containerStatus(c.id);
    expect(st.status!.mounts).toContainEqual(expect.objectContaining({ containerPath: '/data', hostPath: target, readonly: false }));
    // what the pod writes lands in the volume
    writeFileSync(join(target, 'hello.txt'), 'from writer');
    expect(readFileSync(join(root, 'csi-data', handle, 'hello.txt'), 'utf8')).toBe('from writer');
    expect(driver.callLog()).toEqual([`nodeStageVolume ${handle}`, `nodePublishVolume ${handle}`]);
    // the CSIDriver's podInfoOnMount
    expect(driver.published.get(target)!.request.volumeContext).toMatchObject({ kind: 'directory', 'csi.storage.k8s.io/pod.name': 'writer', 'csi.storage.k8s.io/pod.namespace': NS, 'csi.storage.k8s.io/pod.uid': uid, 'csi.storage.k8s.io/ephemeral': 'false' });

    await tk.kernel.delete(PODS, NS, 'writer');
    await gone('writer');
    await eventually(async () => (mountsUnder(root).length === 0 ? true : undefined), 10_000, 'no mounts left');
    expect(driver.callLog().slice(2)).toEqual([`nodeUnpublishVolume ${handle}`, `nodeUnstageVolume ${handle}`]);
    expect(existsSync(join(root, 'pods', uid))).toBe(false);

    // a second pod on the same claim reads what the first wrote
    const reader = await createPod('reader', 'data1');
    await running('reader');
    expect(readFileSync(join(csiPublishPath(root, reader.metadata.uid!, pv), 'hello.txt'), 'utf8')).toBe('from writer');
    await tk.kernel.delete(PODS, NS, 'reader');
    await gone('reader');
    await eventually(async () => (mountsUnder(root).length === 0 ? true : undefined), 10_000, 'no mounts left');
  });

  it('applies fsGroup to the published volume: group, g+rw, setgid directories', async () => {
    const { handle, pv } = await boundClaim('data2');
    mkdirSync(join(root, 'csi-data', handle, 'sub'), { recursive: true });
    writeFileSync(join(root, 'csi-data', handle, 'sub', 'f'), 'x', { mode: 0o600 });
    const pod = await createPod('grouped', 'data2', { securityContext: { fsGroup: 4321 } });
    await running('grouped');
    const target = csiPublishPath(root, pod.metadata.uid!, pv);
    for (const p of [target, join(target, 'sub')]) {
      const s = statSync(p);
      expect(s.gid).toBe(4321);
      expect(s.mode & 0o2070).toBe(0o2070);
    }
    const f = statSync(join(target, 'sub', 'f'));
    expect(f.gid).toBe(4321);
    expect(f.mode & 0o777).toBe(0o660);
    await tk.kernel.delete(PODS, NS, 'grouped');
    await goneAndUnmounted('grouped');
  });

  it('grows a published volume whose claim says FileSystemResizePending: NodeExpandVolume, then the claim\'s capacity and no condition', async () => {
    const { handle, pv } = await boundClaim('data3');
    await createPod('growing', 'data3');
    await running('growing');
    await tk.kernel.patch(PVS, undefined, pv, 'merge', { spec: { capacity: { storage: '3Gi' } } });
    await tk.kernel.patch(PVCS, NS, 'data3', 'merge', { status: { conditions: [{ type: 'FileSystemResizePending', status: 'True' }] } }, { subresource: 'status' });
    const st = await eventually(async () => {
      const s = (await tk.kernel.get(PVCS, NS, 'data3')).status as { capacity?: { storage?: string }; allocatedResources?: { storage?: string }; conditions?: unknown[] };
      return s.capacity?.storage === '3Gi' ? s : undefined;
    }, 10_000, 'claim capacity 3Gi');
    expect(st.allocatedResources).toEqual({ storage: '3Gi' });
    expect(st.conditions ?? []).toEqual([]);
    expect(driver.sizes.get(handle)).toBe(3 * 2 ** 30);
    await eventually(async () => (await eventsOf('growing')).find((e) => e.reason === 'FileSystemResizeSuccessful'), 10_000, 'FileSystemResizeSuccessful');
    await tk.kernel.delete(PODS, NS, 'growing');
    await goneAndUnmounted('growing');
  });

  it('an ephemeral volume (its claim owned by the pod) and an inline csi volume; a driver registered late', async () => {
    drivers.deregister(DRIVER);
    const pod = await tk.kernel.create(PODS, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'eph', namespace: NS },
      spec: {
        nodeName: NODE,
        containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'inline', mountPath: '/inline' }] }],
        volumes: [
          { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } },
          { name: 'inline', csi: { driver: DRIVER, volumeAttributes: { size: '1Mi' } } },
        ],
      },
    });
    const uid = pod.metadata.uid!;
    // the generic-ephemeral-volume controller's claim, owned by the pod, bound by the PV controller
    const pvc = await tk.kernel.create(PVCS, {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: { name: 'eph-scratch', namespace: NS, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'eph', uid, controller: true, blockOwnerDeletion: true }] },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    await tk.kernel.create(PVS, {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pvc-eph' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], claimRef: { namespace: NS, name: 'eph-scratch', uid: pvc.metadata.uid }, csi: { driver: DRIVER, volumeHandle: 'vol-eph' } },
    });
    await bind('eph-scratch', 'pvc-eph');
    const failed = await eventually(async () => (await eventsOf('eph')).find((e) => e.reason === 'FailedMount' && String(e.message).includes('not found in the list of registered CSI drivers')), 10_000, 'FailedMount: driver not registered');
    expect(failed.message).toContain(`driver name ${DRIVER} not found in the list of registered CSI drivers`);
    expect(await phaseOf('eph')).toBe('Pending');
    drivers.register(driver);
    await running('eph');
    const inlineTarget = csiPublishPath(root, uid, 'inline');
    expect(mountsUnder(join(root, 'pods', uid)).map((m) => m.path).sort()).toEqual([csiPublishPath(root, uid, 'pvc-eph'), inlineTarget].sort());
    const [c] = containersOf(uid);
    const mounts = (await cri.containerStatus(c.id)).status!.mounts;
    expect(mounts).toContainEqual(expect.objectContaining({ containerPath: '/inline', hostPath: inlineTarget }));
    const inline = [...driver.published.values()].find((p) => p.request.targetPath === inlineTarget)!;
    expect(inline.request.volumeContext).toMatchObject({ size: '1Mi', 'csi.storage.k8s.io/ephemeral': 'true' });
    await tk.kernel.delete(PODS, NS, 'eph');
    await goneAndUnmounted('eph');
  });

  it('a pod that completes has its volume unpublished and unstaged while its object stays', async () => {
    const { handle } = await boundClaim('data6');
    await tk.kernel.create(PODS, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job', namespace: NS },
      spec: {
        nodeName: NODE, restartPolicy: 'Never',
        containers: [{ name: 'job', image: 'busybox:1.36', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data6' } }],
      },
    });
    await eventually(async () => ((await phaseOf('job')) === 'Succeeded' ? true : undefined), 10_000, 'job Succeeded');
    await eventually(async () => (mountsUnder(root).length === 0 ? true : undefined), 10_000, 'job\'s volume unmounted');
    expect(driver.callLog().filter((l) => l.endsWith(handle))).toEqual([`nodeStageVolume ${handle}`, `nodePublishVolume ${handle}`, `nodeUnpublishVolume ${handle}`, `nodeUnstageVolume ${handle}`]);
    await tk.kernel.delete(PODS, NS, 'job');
    await goneAndUnmounted('job');
  });

  it('a deleted pod whose driver is gone stays (Terminating) until its volume is unpublished', async () => {
    const { handle } = await boundClaim('data5');
    await createPod('stuck', 'data5');
    await running('stuck');
    drivers.deregister(DRIVER);
    const before = driver.calls.length;
    await tk.kernel.delete(PODS, NS, 'stuck');
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await tk.kernel.get(PODS, NS, 'stuck')).metadata.deletionTimestamp).toBeDefined();
    expect(mountsUnder(root).length).toBe(2);
    drivers.register(driver);
    await goneAndUnmounted('stuck');
    expect(driver.callLog().slice(before)).toEqual([`nodeUnpublishVolume ${handle}`, `nodeUnstageVolume ${handle}`]);
  });

  it('an agent that restarts finds the volumes of a pod deleted while it was away, and unpublishes and unstages them', async () => {
    const { handle, pv } = await boundClaim('data4');
    const pod = await createPod('orphan', 'data4');
    await running('orphan');
    const uid = pod.metadata.uid!;
    expect(mountsUnder(join(root, 'pods', uid)).map((m) => m.path)).toEqual([csiPublishPath(root, uid, pv)]);
    // the agent goes away; the pod is deleted for good and its sandbox is gone with the runtime's restart
    await pods!.stop();
    pods = undefined;
    await tk.kernel.delete(PODS, NS, 'orphan', { gracePeriodSeconds: 0 });
    for (const s of cri.listSandboxesNow().filter((x) => x.labels[POD_UID] === uid)) await cri.removePodSandbox(s.id);
    expect(mountsUnder(root).length).toBe(2);
    const before = driver.calls.length;
    pods = startAgent();
    await pods.start();
    await eventually(async () => (mountsUnder(root).length === 0 && !existsSync(join(root, 'pods', uid)) ? true : undefined), 10_000, 'the gone pod cleaned up');
    expect(driver.callLog().slice(before)).toEqual([`nodeUnpublishVolume ${handle}`, `nodeUnstageVolume ${handle}`]);
    expect(existsSync(join(root, 'plugins/kubernetes.io/csi', DRIVER))).toBe(true);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
  });
});
