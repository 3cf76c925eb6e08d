// PvVolumes against the in-memory CSI driver (no mounts): the order of the CSI calls, their
// arguments, idempotence, the paths of issue 14's contract, kube's messages while a claim or a
// driver is missing, teardown that unstages with the last user, the sweep after a restart, and
// NodeExpandVolume for a claim that says FileSystemResizePending.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GrpcStatus } from '@skiff/node-api';
import { FakeCsiDriver, FakeCsiDrivers } from '@skiff/node-api/testing';
import { describeNeeding } from '../../../scripts/test-parts.ts';
import { csiPublishPath, csiStagingPath, sha256 } from './csi-paths.ts';
import { PvVolumes } from './pv-volumes.ts';
import type { Obj, VolumeObjects } from './pv-source.ts';
import { mkPod } from './testing.ts';
import type { Pod } from './types.ts';

const DRIVER = 'hostpath.csi.skiff.io';
let root: string;
let objects: Map<string, Obj>;
let driver: FakeCsiDriver;
let drivers: FakeCsiDrivers;
let patches: { namespace: string; name: string; status: Record<string, unknown> }[];
let pv: PvVolumes;
let events: { type: string; reason: string; message: string }[];

const key = (resource: string, ns: string | undefined, name: string) => `${resource}/${ns ?? ''}/${name}`;
const put = (resource: string, o: Obj) => objects.set(key(resource, o.metadata.namespace, o.metadata.name!), o);
const reader: VolumeObjects = { get: async (r, ns, name) => structuredClone(objects.get(key(r, ns, name))) };

function claim(name: string, volumeName: string | undefined, extra: Partial<Obj> = {}): Obj {
  return {
    metadata: { name, namespace: 'ns1', uid: `uid-${name}` },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(volumeName ? { volumeName } : {}) },
    status: volumeName ? { phase: 'Bound', capacity: { storage: '1Gi' } } : { phase: 'Pending' },
    ...extra,
  };
}
function csiPV(name: string, claimName: string, csi: Record<string, unknown> = {}): Obj {
  return {
    metadata: { name },
    spec: {
      capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], mountOptions: ['noatime'],
      claimRef: { namespace: 'ns1', name: claimName, uid: `uid-${claimName}` },
      csi: { driver: DRIVER, volumeHandle: `handle-${name}`, fsType: 'ext4', volumeAttributes: { size: '1Gi' }, ...csi },
    },
    status: { phase: 'Bound' },
  };
}
const podWith = (uid: string, volumes: Pod['spec']['volumes'], name = `pod-${uid}`) => mkPod({ volumes }, { uid, name });
const pvcVolume = (claimName: string, readOnly = false) => ({ name: 'data', persistentVolumeClaim: { claimName, readOnly } });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'skiff-pvvol-'));
  objects = new Map();
  patches = [];
  events = [];
  driver = new FakeCsiDriver({ name: DRIVER });
  drivers = new FakeCsiDrivers();
  drivers.register(driver);
  pv = new PvVolumes({ root, nodeName: 'node-a', drivers, objects: reader, patchClaimStatus: async (namespace, name, status) => void patches.push({ namespace, name, status }) });
  put('persistentvolumeclaims', claim('c1', 'pv1'));
  put('persistentvolumes', csiPV('pv1', 'c1'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('PvVolumes: a bound claim of a CSI volume', () => {
  it('stages once at the contract staging path, then publishes at the pod\'s volume path with the PV\'s parameters', async () => {
    const pod = podWith('u1', [pvcVolume('c1')]);
    const m = await pv.setUp(pod, pod.spec.volumes![0]);
    const staging = join(root, 'plugins/kubernetes.io/csi', DRIVER, sha256('handle-pv1'), 'globalmount');
    const target = join(root, 'pods/u1/volumes/kubernetes.io~csi/pv1/mount');
    expect(csiStagingPath(root, DRIVER, 'handle-pv1')).toBe(staging);
    expect(csiPublishPath(root, 'u1', 'pv1')).toBe(target);
    expect(m).toEqual({ hostPath: target, readOnly: false });
    expect(driver.callLog()).toEqual(['nodeStageVolume handle-pv1', 'nodePublishVolume handle-pv1']);
    const [stage, publish] = driver.calls;
    expect(stage.path).toBe(staging);
    expect(stage.request).toMatchObject({ volumeCapability: { mount: { fsType: 'ext4', mountFlags: ['noatime'] }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }, volumeContext: { size: '1Gi' } });
    expect(publish.request).toMatchObject({ stagingTargetPath: staging, targetPath: target, readonly: false, volumeContext: { size: '1Gi' } });
    const volData = JSON.parse(readFileSync(join(root, 'pods/u1/volumes/kubernetes.io~csi/pv1/vol_data.json'), 'utf8'));
    expect(volData).toMatchObject({ specVolID: 'pv1', volumeHandle: 'handle-pv1', driverName: DRIVER, volumeLifecycleMode: 'Persistent', claim: { namespace: 'ns1', name: 'c1' } });

    // every sync sets up again: nothing more is called
    await pv.setUp(pod, pod.spec.volumes![0]);
    expect(driver.calls).toHaveLength(2);
  });

  it('a second pod of the same volume is published without staging again; unstaged only with the last pod gone', async () => {
    const a = podWith('u1', [pvcVolume('c1')]);
    const b = podWith('u2', [pvcVolume('c1', true)]);
    await pv.setUp(a, a.spec.volumes![0]);
    const mb = await pv.setUp(b, b.spec.volumes![0]);
    expect(mb.readOnly).toBe(true);
    expect(driver.callLog()).toEqual(['nodeStageVolume handle-pv1', 'nodePublishVolume handle-pv1', 'nodePublishVolume handle-pv1']);
    expect(driver.calls[2].request).toMatchObject({ readonly: true });

    await pv.tearDownPod('u1');
    expect(driver.callLog().slice(3)).toEqual(['nodeUnpublishVolume handle-pv1']);
    expect(existsSync(join(root, 'pods/u1/volumes/kubernetes.io~csi/pv1'))).toBe(false);
    await pv.tearDownPod('u2');
    expect(driver.callLog().slice(4)).toEqual(['nodeUnpublishVolume handle-pv1', 'nodeUnstageVolume handle-pv1']);
    expect(existsSync(join(root, 'plugins/kubernetes.io/csi', DRIVER, sha256('handle-pv1')))).toBe(false);
    expect(driver.staged.size + driver.published.size).toBe(0);
    // teardown is idempotent
    await pv.tearDownPod('u2');
    expect(driver.calls).toHaveLength(6);
  });

  it('a failed publish is retried on the next set-up, without staging again', async () => {
    const pod = podWith('u1', [pvcVolume('c1')]);
    driver.failNext('nodePublishVolume', GrpcStatus.INTERNAL, 'device busy');
    await expect(pv.setUp(pod, pod.spec.volumes![0])).rejects.toThrow('device busy');
    await pv.setUp(pod, pod.spec.volumes![0]);
    expect(driver.callLog()).toEqual(['nodeStageVolume handle-pv1', 'nodePublishVolume handle-pv1', 'nodePublishVolume handle-pv1']);
  });

  it('passes the attachment\'s publish context when the CSIDriver says attachRequired, and waits until attached', async () => {
    put('csidrivers', { metadata: { name: DRIVER }, spec: { attachRequired: true, podInfoOnMount: true } });
    const va = `csi-${sha256(`handle-pv1${DRIVER}node-a`)}`;
    const pod = podWith('u1', [pvcVolume('c1')]);
    await expect(pv.setUp(pod, pod.spec.volumes![0])).rejects.toThrow(`volume handle-pv1 has not been attached to node node-a yet (volumeattachment ${va})`);
    expect(driver.calls).toEqual([]);
    put('volumeattachments', { metadata: { name: va }, status: { attached: true, attachmentMetadata: { devicePath: '/dev/fake0' } } });
    await pv.setUp(pod, pod.spec.volumes![0]);
    expect(driver.calls[0].request).toMatchObject({ publishContext: { devicePath: '/dev/fake0' } });
    expect(driver.calls[1].request).toMatchObject({
      publishContext: { devicePath: '/dev/fake0' },
      volumeContext: { size: '1Gi', 'csi.storage.k8s.io/pod.name': 'pod-u1', 'csi.storage.k8s.io/pod.namespace': 'ns1', 'csi.storage.k8s.io/pod.uid': 'u1', 'csi.storage.k8s.io/ephemeral': 'false' },
    });
  });

  it('passes the PV\'s stage and publish secrets, and fails without them', async () => {
    put('persistentvolumes', csiPV('pv1', 'c1', { nodeStageSecretRef: { name: 's1', namespace: 'ns1' }, nodePublishSecretRef: { name: 's1', namespace: 'ns1' } }));
    const pod = podWith('u1', [pvcVolume('c1')]);
    await expect(pv.setUp(pod, pod.spec.volumes![0])).rejects.toThrow('fetching NodeStageSecretRef ns1/s1 failed: secrets "s1" not found');
    put('secrets', { metadata: { name: 's1', namespace: 'ns1' }, data: { key: Buffer.from('v').toString('base64') } });
    await pv.setUp(pod, pod.spec.volumes![0]);
    expect(driver.calls.map((c) => (c.request as { secrets: unknown }).secrets)).toEqual([{ key: 'v' }, { key: 'v' }]);
  });
});

describe('PvVolumes: waiting with kube\'s messages', () => {
  const setUp = (pod: Pod) => pv.setUp(pod, pod.spec.volumes![0]);

  it('a missing claim, an unbound one, one being deleted', async () => {
    await expect(setUp(podWith('u1', [pvcVolume('nope')]))).rejects.toThrow('error processing PVC ns1/nope: failed to fetch PVC from API server: persistentvolumeclaims "nope" not found');
    put('persistentvolumeclaims', claim('c2', undefined));
    await expect(setUp(podWith('u1', [pvcVolume('c2')]))).rejects.toThrow('error processing PVC ns1/c2: PVC ns1/c2 has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")');
    put('persistentvolumeclaims', claim('c1', 'pv1', { metadata: { name: 'c1', namespace: 'ns1', uid: 'uid-c1', deletionTimestamp: '2026-01-01T00:00:00Z' } }));
    await expect(setUp(podWith('u1', [pvcVolume('c1')]))).rejects.toThrow("can't start pod because PVC ns1/c1 is being deleted");
    expect(driver.calls).toEqual([]);
  });

  it('a driver that is not registered; set up once it registers', async () => {
    drivers.deregister(DRIVER);
    const pod = podWith('u1', [pvcVolume('c1')]);
    await expect(setUp(pod)).rejects.toThrow(`driver name ${DRIVER} not found in the list of registered CSI drivers`);
    drivers.register(driver);
    await setUp(pod);
    expect(driver.callLog()).toEqual(['nodeStageVolume handle-pv1', 'nodePublishVolume handle-pv1']);
  });

  it('an ephemeral volume\'s claim <pod>-<volume> must be owned by the pod', async () => {
    const pod = podWith('u1', [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } }], 'web');
    await expect(setUp(pod)).rejects.toThrow('error processing PVC ns1/web-scratch: failed to fetch PVC');
    put('persistentvolumeclaims', claim('web-scratch', 'pv2', { metadata: { name: 'web-scratch', namespace: 'ns1', uid: 'uid-web-scratch', ownerReferences: [{ uid: 'someone-else', controller: true }] } }));
    put('persistentvolumes', csiPV('pv2', 'web-scratch'));
    await expect(setUp(pod)).rejects.toThrow('error processing PVC ns1/web-scratch: PVC ns1/web-scratch was not created for pod ns1/web (pod is not owner)');
    put('persistentvolumeclaims', claim('web-scratch', 'pv2', { metadata: { name: 'web-scratch', namespace: 'ns1', uid: 'uid-web-scratch', ownerReferences: [{ uid: 'u1', controller: true }] } }));
    const m = await setUp(pod);
    expect(m.hostPath).toBe(join(root, 'pods/u1/volumes/kubernetes.io~csi/pv2/mount'));
  });
});

describe('PvVolumes: inline csi volumes', () => {
  it('publishes with an ephemeral volume id and csi.storage.k8s.io/ephemeral, without staging; the publish secret from the pod\'s namespace', async () => {
    put('secrets', { metadata: { name: 'creds', namespace: 'ns1' }, data: { token: Buffer.from('t0k').toString('base64') } });
    const pod = podWith('u1', [{ name: 'inline', csi: { driver: DRIVER, readOnly: true, fsType: 'xfs', volumeAttributes: { size: '10Mi' }, nodePublishSecretRef: { name: 'creds' } } }]);
    const m = await pv.setUp(pod, pod.spec.volumes![0]);
    const handle = `csi-${sha256('u1inline')}`;
    expect(m).toEqual({ hostPath: join(root, 'pods/u1/volumes/kubernetes.io~csi/inline/mount'), readOnly: true });
    expect(driver.callLog()).toEqual([`nodePublishVolume ${handle}`]);
    expect(driver.calls[0].request).toMatchObject({ stagingTargetPath: '', readonly: true, secrets: { token: 't0k' }, volumeContext: { size: '10Mi', 'csi.storage.k8s.io/ephemeral': 'true' } });
    await pv.tearDownPod('u1');
    expect(driver.callLog()).toEqual([`nodePublishVolume ${handle}`, `nodeUnpublishVolume ${handle}`]);
  });

  it('is refused when the CSIDriver does not list the Ephemeral lifecycle mode', async () => {
    put('csidrivers', { metadata: { name: DRIVER }, spec: { volumeLifecycleModes: ['Persistent'] } });
    const pod = podWith('u1', [{ name: 'inline', csi: { driver: DRIVER } }]);
    await expect(pv.setUp(pod, pod.spec.volumes![0])).rejects.toThrow(`volume mode "Ephemeral" not supported by driver ${DRIVER} (only supports ["Persistent"])`);
  });
});

describe('PvVolumes: restart and expansion', () => {
  it('a new PvVolumes (an agent restart) finds the gone pods\' volumes on disk and unpublishes and unstages them; a missing driver leaves them for later', async () => {
    const a = podWith('u1', [pvcVolume('c1')]);
    const b = podWith('u2', [pvcVolume('c1')]);
    await pv.setUp(a, a.spec.volumes![0]);
    await pv.setUp(b, b.spec.volumes![0]);
    const again = new PvVolumes({ root, nodeName: 'node-a', drivers, objects: reader, patchClaimStatus: async () => {} });
    drivers.deregister(DRIVER);
    const cleaned: string[] = [];
    const cleanup = async (uid: string) => {
      await again.tearDownPod(uid);
      cleaned.push(uid);
    };
    const left = await again.sweep(new Set(['u2']), cleanup);
    expect(left.join('\n')).toContain(`driver name ${DRIVER} not found`);
    expect(cleaned).toEqual([]);
    drivers.register(driver);
    expect(await again.sweep(new Set(['u2']), cleanup)).toEqual([]);
    expect(cleaned).toEqual(['u1']);
    expect(driver.callLog().slice(3)).toEqual(['nodeUnpublishVolume handle-pv1']); // u2 still uses it
    expect(await again.sweep(new Set(), cleanup)).toEqual([]);
    expect(driver.callLog().slice(4)).toEqual(['nodeUnpublishVolume handle-pv1', 'nodeUnstageVolume handle-pv1']);
  });

  it('NodeExpandVolume for a published volume whose claim says FileSystemResizePending; the claim\'s capacity follows and the condition goes', async () => {
    const pod = podWith('u1', [pvcVolume('c1')]);
    const rec = (e: { type: string; reason: string; message: string }) => void events.push(e);
    await pv.setUp(pod, pod.spec.volumes![0], rec);
    const c = claim('c1', 'pv1');
    c.status.conditions = [{ type: 'FileSystemResizePending', status: 'True' }];
    put('persistentvolumeclaims', c);
    const bigger = csiPV('pv1', 'c1');
    bigger.spec.capacity.storage = '2Gi';
    put('persistentvolumes', bigger);
    driver.failNext('nodeExpandVolume', GrpcStatus.INTERNAL, 'resize2fs: Permission denied');
    await expect(pv.setUp(pod, pod.spec.volumes![0], rec)).rejects.toThrow('MountVolume.NodeExpandVolume failed for volume "pv1" : resize2fs: Permission denied');
    expect(events.at(-1)).toMatchObject({ type: 'Warning', reason: 'FileSystemResizeFailed' });
    expect(patches).toEqual([]);
    await pv.setUp(pod, pod.spec.volumes![0], rec);
    expect(driver.calls.at(-1)).toMatchObject({ method: 'nodeExpandVolume', volumeId: 'handle-pv1', path: join(root, 'pods/u1/volumes/kubernetes.io~csi/pv1/mount') });
    expect(driver.calls.at(-1)!.request).toMatchObject({ capacityRange: { requiredBytes: 2 * 2 ** 30 }, stagingTargetPath: csiStagingPath(root, DRIVER, 'handle-pv1') });
    expect(patches).toEqual([{ namespace: 'ns1', name: 'c1', status: { capacity: { storage: '2Gi' }, allocatedResources: { storage: '2Gi' }, allocatedResourceStatuses: null, conditions: [] } }]);
    expect(events.at(-1)).toMatchObject({ type: 'Normal', reason: 'FileSystemResizeSuccessful' });
  });
});

// chown to another group needs root
describeNeeding(['root'], 'PvVolumes: fsGroup and path volumes', () => {
  const fsPod = (uid: string) => mkPod({ volumes: [pvcVolume('c1')], securityContext: { fsGroup: 3456 } }, { uid, name: `pod-${uid}` });

  it('applies fsGroup to the publish target (kube\'s default policy: an fsType and ReadWriteOnce); not with fsGroupPolicy None', async () => {
    const pod = fsPod('u1');
    const m = await pv.setUp(pod, pod.spec.volumes![0]);
    expect(statSync(m.hostPath).gid).toBe(3456);
    put('csidrivers', { metadata: { name: DRIVER }, spec: { fsGroupPolicy: 'None' } });
    const other = fsPod('u2');
    const m2 = await pv.setUp(other, other.spec.volumes![0]);
    expect(statSync(m2.hostPath).gid).toBe(0);
  });

  it('passes volume_mount_group to a VOLUME_MOUNT_GROUP driver instead of changing ownership itself', async () => {
    drivers.register((driver = new FakeCsiDriver({ name: DRIVER, nodeCapabilities: ['STAGE_UNSTAGE_VOLUME', 'VOLUME_MOUNT_GROUP'] })));
    const pod = fsPod('u1');
    const m = await pv.setUp(pod, pod.spec.volumes![0]);
    expect(driver.calls.map((c) => (c.request as { volumeCapability: { mount: { volumeMountGroup: string } } }).volumeCapability.mount.volumeMountGroup)).toEqual(['3456', '3456']);
    expect(statSync(m.hostPath).gid).toBe(0);
  });

  it('a hostPath PV is used as it is; a local PV is bind-mounted in the pod\'s directory and unmounted with the pod', async () => {
    const hostDir = join(root, 'host-vol');
    mkdirSync(hostDir);
    put('persistentvolumeclaims', claim('hp', 'pv-hp'));
    put('persistentvolumes', { metadata: { name: 'pv-hp' }, spec: { accessModes: ['ReadWriteOnce'], hostPath: { path: hostDir, type: 'Directory' } } });
    put('persistentvolumeclaims', claim('lo', 'pv-lo'));
    put('persistentvolumes', { metadata: { name: 'pv-lo' }, spec: { accessModes: ['ReadWriteOnce'], local: { path: hostDir } } });
    const binds: string[] = [];
    let mounted: string[] = [];
    const mounter = {
      mountTmpfs: async () => {},
      unmount: async (d: string) => void (mounted = mounted.filter((x) => x !== d)),
      mountsUnder: async (d: string) => mounted.filter((x) => x === d || x.startsWith(`${d}/`)).map((path) => ({ path, fsType: 'none' })),
      bind: async (src: string, d: string, ro: boolean) => void (binds.push(`${src} ${d} ${ro}`), mounted.push(d)),
    };
    const local = new PvVolumes({ root, nodeName: 'node-a', drivers, objects: reader, patchClaimStatus: async () => {}, mounter });
    const pod = podWith('u1', [{ name: 'hp', persistentVolumeClaim: { claimName: 'hp' } }, { name: 'lo', persistentVolumeClaim: { claimName: 'lo', readOnly: true } }]);
    expect(await local.setUp(pod, pod.spec.volumes![0])).toEqual({ hostPath: hostDir, readOnly: false });
    const target = join(root, 'pods/u1/volumes/kubernetes.io~local-volume/pv-lo');
    expect(await local.setUp(pod, pod.spec.volumes![1])).toEqual({ hostPath: target, readOnly: true });
    await local.setUp(pod, pod.spec.volumes![1]);
    expect(binds).toEqual([`${hostDir} ${target} true`]);
    await local.tearDownPod('u1');
    expect(mounted).toEqual([]);
    put('persistentvolumes', { metadata: { name: 'pv-hp' }, spec: { accessModes: ['ReadWriteOnce'], hostPath: { path: join(root, 'nope'), type: 'Directory' } } });
    await expect(local.setUp(pod, pod.spec.volumes![0])).rejects.toThrow(`hostPath type check failed: ${join(root, 'nope')} is not a directory`);
    expect(driver.calls).toEqual([]);
  });
});
