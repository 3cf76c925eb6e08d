// A pod's persistentVolumeClaim, ephemeral and csi volumes on this node, through the CSI contract
// (CsiDrivers) only — kubelet's csi plugin and operation executor in small:
//   set up:   [VolumeAttachment attached, when the CSIDriver says attachRequired]
//             → NodeStageVolume at the staging path, once per volume on the node (STAGE_UNSTAGE_VOLUME)
//             → vol_data.json in the pod's volume directory → NodePublishVolume at <vol>/mount
//             → fsGroup ownership (or volume_mount_group, for VOLUME_MOUNT_GROUP drivers)
//             and, for a published volume whose claim says FileSystemResizePending, NodeExpandVolume
//             and the claim's status.capacity (FileSystemResizeSuccessful / FileSystemResizeFailed).
//   tear down (the pod gone): NodeUnpublishVolume for every CSI volume directory of the pod on disk,
//             then NodeUnstageVolume for each staged volume no other pod directory uses any more.
// The disk is the truth (kube reconstructs its state the same way): vol_data.json files under the pod
// directories and staging directories say which driver and volume handle they are for, so an agent
// that restarts finds what to unpublish and unstage (sweep). Stage, publish and unstage of one volume
// are serialized, so a pod starting never races the last user's unstage.
// hostPath PVs are used as they are (as a hostPath volume); local PVs are bind-mounted at
// <pod>/volumes/kubernetes.io~local-volume/<pv>.
// Skiff's deviation: without a CSIDriver object a driver is taken as attachRequired false (Skiff runs
// no attach/detach controller; the host-path driver needs none). Kube's default would wait forever.
import { lstat, mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseQuantity } from '@skiff/api';
import { isNotFound, type csi } from '@skiff/node-api';
import {
  csiPublishPath, csiStagingDir, csiStagingPath, csiVolumeDir, csiVolumesOfPod, podUidsOnDisk, readVolData, sha256, stagingDirsOnDisk, writeVolData, type VolData,
} from './csi-paths.ts';
import { applyFsGroup, csiAppliesFsGroup } from './fs-group.ts';
import { checkHostPathType } from './host-path.ts';
import { systemMounter, type Mounter } from './mounter.ts';
import { podVolumesDir } from './paths.ts';
import { resolvePvSource, secretData, type CsiSource, type Obj, type PathSource, type VolumeObjects } from './pv-source.ts';
import type { EventRecorder, Pod, Volume } from './types.ts';

export const LOCAL_PLUGIN_DIR = 'kubernetes.io~local-volume';

export interface PvVolumesOptions {
  root: string;
  nodeName: string;
  /** undefined: no skiff.io/csi plugin on this node (every CSI volume waits) */
  drivers: csi.CsiDrivers | undefined;
  objects: VolumeObjects;
  /** writes a claim's status (expansion); merge patch of the status subresource */
  patchClaimStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void>;
  mounter?: Mounter;
}

/** What a set-up volume gives the containers (volumes.ts's MountedVolume fields). */
export interface PvMount {
  hostPath: string;
  readOnly: boolean;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code;
const exists = (p: string) => lstat(p).then(() => true, (e) => (errno(e) === 'ENOENT' ? false : Promise.reject(e)));
const hasCondition = (pvc: Obj | undefined, type: string) =>
  ((pvc?.status?.conditions ?? []) as { type?: string; status?: string }[]).some((c) => c.type === type && (c.status ?? 'True') === 'True');

export class PvVolumes {
  /** serializes stage / publish / unstage per staged volume (driver + handle) */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** publish targets done by this process (a sync does not publish again) */
  private readonly published = new Set<string>();
  /** volumes (driver/handle) staged by this process: staged once per node, not once per pod */
  private readonly staged = new Set<string>();
  private readonly mounter: Mounter;

  constructor(private readonly o: PvVolumesOptions) {
    this.mounter = o.mounter ?? systemMounter;
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  private driver(name: string): csi.CsiDriverClient {
    const d = this.o.drivers?.get(name);
    if (!d) throw new Error(`kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name ${name} not found in the list of registered CSI drivers`);
    return d;
  }

  /** Sets up one persistentVolumeClaim / ephemeral / csi volume of the pod (idempotent). */
  async setUp(pod: Pod, v: Volume, recorder?: EventRecorder): Promise<PvMount> {
    const src = await resolvePvSource(pod, v, this.o.objects);
    if (src.kind === 'path') return this.setUpPath(pod, src);
    return this.setUpCsi(pod, src, recorder);
  }

  private async setUpPath(pod: Pod, src: PathSource): Promise<PvMount> {
    if (src.type === 'hostPath') {
      await checkHostPathType(src.path, src.hostPathType);
      return { hostPath: src.path, readOnly: src.readOnly };
    }
    const dir = join(podVolumesDir(this.o.root, pod.metadata.uid ?? ''), LOCAL_PLUGIN_DIR, src.specName);
    if (!(await this.mounter.mountsUnder(dir)).some((m) => m.path === dir)) {
      const st = await lstat(src.path).catch(() => undefined);
      if (!st?.isDirectory()) throw new Error(`path "${src.path}" does not exist`);
      if (!this.mounter.bind) throw new Error('local volumes need a mounter that bind-mounts');
      await mkdir(dir, { recursive: true, mode: 0o750 });
      await this.mounter.bind(src.path, dir, src.readOnly);
    }
    return { hostPath: dir, readOnly: src.readOnly };
  }

  private async setUpCsi(pod: Pod, src: CsiSource, recorder?: EventRecorder): Promise<PvMount> {
    const uid = pod.metadata.uid ?? '';
    const target = csiPublishPath(this.o.root, uid, src.specName);
    // published already, nothing to grow: what every later sync of the pod finds, without a call
    // (nor a complaint when the driver went away meanwhile: the mount stays)
    if (this.published.has(target) && !src.resizePending) return { hostPath: target, readOnly: src.readOnly };
    const driver = this.driver(src.driver);
    const csiDriver = await this.o.objects.get('csidrivers', undefined, src.driver);
    const dspec = (csiDriver?.spec ?? {}) as { attachRequired?: boolean; podInfoOnMount?: boolean; fsGroupPolicy?: string; volumeLifecycleModes?: string[] };
    if (src.ephemeral && csiDriver && !(dspec.volumeLifecycleModes ?? ['Persistent']).includes('Ephemeral'))
      throw new Error(`volume mode "Ephemeral" not supported by driver ${src.driver} (only supports ${JSON.stringify(dspec.volumeLifecycleModes ?? ['Persistent'])})`);
    const caps = await driver.nodeGetCapabilities();
    // inline (ephemeral) volumes are published without staging, as kube does
    const stages = caps.includes('STAGE_UNSTAGE_VOLUME') && !src.ephemeral;
    const stagingPath = stages ? csiStagingPath(this.o.root, src.driver, src.volumeHandle) : '';
    const fsGroup = pod.spec.securityContext?.fsGroup;
    const mountGroup = fsGroup !== undefined && caps.includes('VOLUME_MOUNT_GROUP') && dspec.fsGroupPolicy !== 'None' ? String(fsGroup) : '';
    const capability: csi.Input<csi.VolumeCapability> = { mount: { fsType: src.fsType, mountFlags: src.mountOptions, volumeMountGroup: mountGroup }, accessMode: { mode: src.accessMode } };

    if (!this.published.has(target)) {
      const publishContext = dspec.attachRequired === true && !src.ephemeral ? await this.attachment(src) : {};
      const volumeContext: csi.StringMap = { ...src.volumeAttributes };
      if (dspec.podInfoOnMount)
        Object.assign(volumeContext, {
          'csi.storage.k8s.io/pod.name': pod.metadata.name ?? '',
          'csi.storage.k8s.io/pod.namespace': pod.metadata.namespace ?? 'default',
          'csi.storage.k8s.io/pod.uid': uid,
          'csi.storage.k8s.io/serviceAccount.name': (pod.spec as { serviceAccountName?: string }).serviceAccountName ?? 'default',
        });
      if (src.ephemeral || dspec.podInfoOnMount) volumeContext['csi.storage.k8s.io/ephemeral'] = String(src.ephemeral);
      const data: VolData = {
        specVolID: src.specName, volumeHandle: src.volumeHandle, driverName: src.driver, volumeLifecycleMode: src.ephemeral ? 'Ephemeral' : 'Persistent',
        ...(stages ? { stagingTargetPath: stagingPath } : {}), ...(src.claim ? { claim: src.claim } : {}),
      };
      const stageKey = `${src.driver}/${src.volumeHandle}`;
      await this.locked(stageKey, async () => {
        if (stages && !this.staged.has(stageKey)) {
          const stageSecrets = await secretData(this.o.objects, src.nodeStageSecretRef, 'NodeStageSecretRef');
          await writeVolData(csiStagingDir(this.o.root, src.driver, src.volumeHandle), data);
          await mkdir(stagingPath, { recursive: true, mode: 0o750 });
          await driver.nodeStageVolume({ volumeId: src.volumeHandle, publishContext, stagingTargetPath: stagingPath, volumeCapability: capability, secrets: stageSecrets, volumeContext });
          this.staged.add(stageKey);
        }
        const publishSecrets = await secretData(this.o.objects, src.nodePublishSecretRef, 'NodePublishSecretRef');
        // written before the publish: a restart in between still finds what to unpublish
        await writeVolData(csiVolumeDir(this.o.root, uid, src.specName), data);
        await driver.nodePublishVolume({
          volumeId: src.volumeHandle, publishContext, stagingTargetPath: stagingPath, targetPath: target, volumeCapability: capability,
          readonly: src.readOnly, secrets: publishSecrets, volumeContext,
        });
      });
      if (fsGroup !== undefined && !mountGroup && !src.readOnly && csiAppliesFsGroup(dspec.fsGroupPolicy, src.fsType, src.pvAccessModes, src.ephemeral))
        await applyFsGroup(target, fsGroup, { changePolicy: pod.spec.securityContext?.fsGroupChangePolicy });
      this.published.add(target);
    }
    if (src.claim) await this.expandIfPending(pod, src, driver, caps, target, stagingPath, capability, recorder);
    return { hostPath: target, readOnly: src.readOnly };
  }

  /** The publish context of an attached volume (kube's VolumeAttachment csi-<sha256(handle+driver+node)>). */
  private async attachment(src: CsiSource): Promise<csi.StringMap> {
    const name = `csi-${sha256(src.volumeHandle + src.driver + this.o.nodeName)}`;
    const va = await this.o.objects.get('volumeattachments', undefined, name);
    if (va?.status?.attachError?.message) throw new Error(`attachment ${name} failed: ${va.status.attachError.message}`);
    if (va?.status?.attached !== true) throw new Error(`volume ${src.volumeHandle} has not been attached to node ${this.o.nodeName} yet (volumeattachment ${name})`);
    return (va.status.attachmentMetadata ?? {}) as csi.StringMap;
  }

  /** kube's NodeExpand for a published volume whose claim waits on the file system (FileSystemResizePending). */
  private async expandIfPending(
    pod: Pod, src: CsiSource, driver: csi.CsiDriverClient, caps: readonly csi.NodeCapability[], target: string, stagingPath: string,
    capability: csi.Input<csi.VolumeCapability>, recorder?: EventRecorder,
  ): Promise<void> {
    const pvc = await this.o.objects.get('persistentvolumeclaims', src.claim!.namespace, src.claim!.name);
    if (!hasCondition(pvc, 'FileSystemResizePending')) return;
    const pv = await this.o.objects.get('persistentvolumes', undefined, src.specName);
    const size = pv?.spec?.capacity?.storage as string | undefined;
    if (!size) return;
    try {
      if (caps.includes('EXPAND_VOLUME')) {
        const secrets = await secretData(this.o.objects, src.nodeExpandSecretRef, 'NodeExpandSecretRef');
        await driver.nodeExpandVolume({ volumeId: src.volumeHandle, volumePath: target, stagingTargetPath: stagingPath, capacityRange: { requiredBytes: Math.ceil(parseQuantity(size)), limitBytes: 0 }, volumeCapability: capability, secrets });
      }
    } catch (e) {
      recorder?.({ type: 'Warning', reason: 'FileSystemResizeFailed', message: `MountVolume.NodeExpandVolume failed for volume "${src.specName}" : ${(e as Error).message}` });
      throw new Error(`MountVolume.NodeExpandVolume failed for volume "${src.specName}" : ${(e as Error).message}`, { cause: e });
    }
    const conditions = ((pvc!.status?.conditions ?? []) as { type?: string }[]).filter((c) => c.type !== 'FileSystemResizePending' && c.type !== 'Resizing');
    await this.o.patchClaimStatus(src.claim!.namespace, src.claim!.name, {
      capacity: { ...(pvc!.status?.capacity ?? {}), storage: size },
      allocatedResources: { ...(pvc!.status?.allocatedResources ?? {}), storage: size },
      allocatedResourceStatuses: null,
      conditions,
    });
    recorder?.({ type: 'Normal', reason: 'FileSystemResizeSuccessful', message: `MountVolume.NodeExpandVolume succeeded for volume "${src.specName}" ${this.o.nodeName}` });
  }

  /**
   * The pod is gone: unpublishes its CSI volumes and unmounts its local ones; unstages what no other
   * pod on the node uses. Throws (leaving the rest for the next try) when a driver is not there.
   */
  async tearDownPod(uid: string): Promise<void> {
    const errors: string[] = [];
    for (const { dir, data } of await csiVolumesOfPod(this.o.root, uid)) {
      const target = join(dir, 'mount');
      this.published.delete(target);
      try {
        if (!data) {
          // no vol_data.json: nothing was published there (it is written first); an empty leftover
          if (!(await this.mounter.mountsUnder(target)).length) await rm(dir, { recursive: true, force: true });
          else errors.push(`${target} is mounted but has no vol_data.json`);
          continue;
        }
        await this.locked(`${data.driverName}/${data.volumeHandle}`, async () => {
          const d = this.o.drivers?.get(data.driverName);
          if (!d) throw new Error(`driver name ${data.driverName} not found in the list of registered CSI drivers`);
          await d.nodeUnpublishVolume(data.volumeHandle, target).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
          if ((await this.mounter.mountsUnder(target)).length) throw new Error(`${target} is still mounted after NodeUnpublishVolume`);
          if (await exists(target)) await rmdir(target);
          await rm(dir, { recursive: true, force: true });
          if (data.stagingTargetPath) await this.unstageIfUnused(d, data);
        });
      } catch (e) {
        errors.push(`UnmountVolume.TearDown failed for volume "${data?.specVolID ?? dir}" (pod ${uid}) : ${(e as Error).message}`);
      }
    }
    const local = join(podVolumesDir(this.o.root, uid), LOCAL_PLUGIN_DIR);
    for (const m of await this.mounter.mountsUnder(local)) await this.mounter.unmount(m.path);
    if (errors.length) throw new Error(errors.join('; '));
  }

  /** Under the volume's lock: NodeUnstageVolume when no pod directory on the node still has the volume. */
  private async unstageIfUnused(d: csi.CsiDriverClient, data: VolData): Promise<void> {
    // unstaged already (by a teardown that held the lock before this one): its directory is gone
    if (!(await readVolData(csiStagingDir(this.o.root, data.driverName, data.volumeHandle)))) return;
    for (const uid of await podUidsOnDisk(this.o.root))
      for (const v of await csiVolumesOfPod(this.o.root, uid)) if (v.data?.driverName === data.driverName && v.data.volumeHandle === data.volumeHandle) return;
    const staging = csiStagingPath(this.o.root, data.driverName, data.volumeHandle);
    await d.nodeUnstageVolume(data.volumeHandle, staging).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
    this.staged.delete(`${data.driverName}/${data.volumeHandle}`);
    if ((await this.mounter.mountsUnder(staging)).length) throw new Error(`${staging} is still mounted after NodeUnstageVolume`);
    await rm(csiStagingDir(this.o.root, data.driverName, data.volumeHandle), { recursive: true, force: true });
  }

  /**
   * After an agent restart, and now and then: tears down the volumes of pod directories whose pod
   * is not among `known` (through `cleanup`, which also removes the directory), then unstages the
   * staged volumes no pod uses. Resolves with what could not be done yet (a driver not registered).
   */
  async sweep(known: ReadonlySet<string>, cleanup: (uid: string) => Promise<void>): Promise<string[]> {
    const left: string[] = [];
    for (const uid of await podUidsOnDisk(this.o.root)) {
      if (known.has(uid)) continue;
      await cleanup(uid).catch((e) => left.push(`pod ${uid}: ${(e as Error).message}`));
    }
    for (const { data } of await stagingDirsOnDisk(this.o.root)) {
      if (!data) continue;
      const d = this.o.drivers?.get(data.driverName);
      if (!d) {
        left.push(`staged volume ${data.volumeHandle}: driver ${data.driverName} not registered`);
        continue;
      }
      await this.locked(`${data.driverName}/${data.volumeHandle}`, () => this.unstageIfUnused(d, data)).catch((e) => left.push(`staged volume ${data.volumeHandle}: ${(e as Error).message}`));
    }
    return left;
  }
}
