// Materializes a pod's volumes on the node, as kubelet's volume plugins do, under
// <root>/pods/<uid>/volumes/<plugin>/<name> (see paths.ts):
// - emptyDir: a directory, mode 0777. `medium: Memory` mounts a tmpfs there (size: the smaller of
//   sizeLimit, the pod's memory limit and the node's allocatable memory, as kubelet sizes it) —
//   or, with `memoryBacked: 'directory'`, stays a plain directory (hosts without CAP_SYS_ADMIN);
//   sizeLimit on disk is not enforced (kubelet enforces it by eviction);
// - hostPath: the host's path, type-checked (host-path.ts), never written to;
// - configMap, secret, downwardAPI, projected: files written by the AtomicWriter, mounted read-only.
//   secret and projected volumes live in a tmpfs like kubelet's (unless memoryBacked 'directory').
// setUp is idempotent (an existing emptyDir keeps its contents, an unchanged payload is not
// rewritten); update re-materializes the AtomicWriter volumes, which is how a changed ConfigMap or
// Secret (or the pod's labels, for downwardAPI) reaches running containers; cleanup unmounts what
// this module mounted and removes the directories without following symlinks or crossing mounts.
// - persistentVolumeClaim, ephemeral, csi: through VolumeOptions.pv (pv-volumes.ts: CSI stage and
//   publish, hostPath and local PVs, fsGroup); without it, an error per such volume.
// Left out: image and the in-tree network volumes (an error per such volume), fsGroup ownership of
// emptyDir and the AtomicWriter volumes.
import { chmod, lstat, mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { parseQuantity } from '@skiff/api';
import { atomicWrite } from './atomic-writer.ts';
import { VolumeError } from './errors.ts';
import { checkHostPathType } from './host-path.ts';
import { systemMounter, type MountPoint, type Mounter } from './mounter.ts';
import type { ObjectReader } from './object-reader.ts';
import { DEFAULT_ROOT, podDir, podVolumesDir, VOLUME_PLUGIN_DIRS, volumeDir, type ManagedVolumeKind } from './paths.ts';
import { podMemoryLimit } from './resources.ts';
import { volumePayload } from './volume-payload.ts';
import type { EventRecorder, Pod, ResourceList, Volume } from './types.ts';

export type VolumeKind = ManagedVolumeKind | 'hostPath' | PvKind;

/** the volumes pv-volumes.ts sets up */
export type PvKind = 'persistentVolumeClaim' | 'ephemeral' | 'csi';

export interface MountedVolume {
  name: string;
  kind: VolumeKind;
  /** the host path to bind into containers */
  hostPath: string;
  /** the plugin requires read-only mounts (configMap, secret, downwardAPI, projected) */
  readOnly: boolean;
}

export type VolumeMap = Map<string, MountedVolume>;

export interface VolumeOptions {
  /** default /var/lib/skiff; absolute and without symlinks (mounts are matched against /proc/self/mountinfo) */
  root?: string;
  reader: ObjectReader;
  /** the node's allocatable (downward API defaults, emptyDir Memory size) */
  nodeAllocatable?: ResourceList;
  /** default: mount(8) */
  mounter?: Mounter;
  /** 'tmpfs' (default) mounts memory-backed volumes; 'directory' makes them plain directories */
  memoryBacked?: 'tmpfs' | 'directory';
  /** receives FailedMount warnings and left-out parts (serviceAccountToken) */
  recorder?: EventRecorder;
  /** sets up persistentVolumeClaim, ephemeral and csi volumes (PvVolumes.setUp) */
  pv?: (pod: Pod, v: Volume, recorder?: EventRecorder) => Promise<{ hostPath: string; readOnly: boolean }>;
}

export interface SetUpResult {
  /** every volume that is ready */
  volumes: VolumeMap;
  /** one per volume that is not (kube's FailedMount messages) */
  errors: VolumeError[];
  /** AtomicWriter volumes that got a new version in this call */
  updated: string[];
}

const ATOMIC_KINDS = new Set<VolumeKind>(['configMap', 'secret', 'downwardAPI', 'projected']);

export function volumeKind(v: Volume): VolumeKind | undefined {
  for (const k of ['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected', 'persistentVolumeClaim', 'ephemeral', 'csi'] as const) if (v[k] != null) return k;
  return undefined;
}

const errCode = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

/** The tmpfs size kubelet gives a memory-backed emptyDir (calculateEmptyDirMemorySize); 0 = kernel default. */
export function emptyDirMemorySize(pod: Pod, sizeLimit: string | number | undefined, nodeAllocatable: ResourceList | undefined): number {
  let size = nodeAllocatable?.memory !== undefined ? Math.ceil(parseQuantity(nodeAllocatable.memory)) : 0;
  const podLimit = podMemoryLimit(pod);
  if (podLimit !== undefined && podLimit > 0 && (size === 0 || podLimit <= size)) size = podLimit;
  const vol = sizeLimit !== undefined ? Math.ceil(parseQuantity(sizeLimit)) : 0;
  if (vol > 0 && (size === 0 || vol <= size)) size = vol;
  return size;
}

interface Ctx {
  pod: Pod;
  root: string;
  uid: string;
  opts: VolumeOptions;
  mounter: Mounter;
  mounts: MountPoint[];
}

async function ensureDir(dir: string, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if ((st.mode & 0o7777) !== mode && (st.mode & 0o777) !== mode) await chmod(dir, mode);
}

/** Makes `dir` a tmpfs (unless it already is one) or, with memoryBacked 'directory', a directory. */
async function ensureMemoryDir(ctx: Ctx, dir: string, size: number): Promise<void> {
  if (ctx.opts.memoryBacked === 'directory') return ensureDir(dir, 0o777);
  if (ctx.mounts.some((m) => m.path === dir && m.fsType === 'tmpfs')) return;
  await ensureDir(dir, 0o777);
  await ctx.mounter.mountTmpfs(dir, size);
  ctx.mounts.push({ path: dir, fsType: 'tmpfs' });
}

async function setUpOne(ctx: Ctx, v: Volume, kind: VolumeKind): Promise<{ mounted: MountedVolume; updated: boolean }> {
  const { pod, root, uid, opts } = ctx;
  if (kind === 'hostPath') {
    const { path, type } = v.hostPath!;
    if (!posix.isAbsolute(path ?? '')) throw new Error(`hostPath ${JSON.stringify(path)} must be an absolute path`);
    if (path.split('/').includes('..')) throw new Error(`hostPath ${path} must not contain '..'`);
    await checkHostPathType(path, type);
    return { mounted: { name: v.name, kind, hostPath: path, readOnly: false }, updated: false };
  }
  if (kind === 'persistentVolumeClaim' || kind === 'ephemeral' || kind === 'csi') {
    if (!opts.pv) throw new Error(`volume source ${kind} is not supported on this node`);
    const m = await opts.pv(pod, v, opts.recorder);
    return { mounted: { name: v.name, kind, hostPath: m.hostPath, readOnly: m.readOnly }, updated: false };
  }
  const dir = volumeDir(root, uid, kind, v.name);
  if (kind === 'emptyDir') {
    if (v.emptyDir!.medium === 'Memory') await ensureMemoryDir(ctx, dir, emptyDirMemorySize(pod, v.emptyDir!.sizeLimit, opts.nodeAllocatable));
    else if (v.emptyDir!.medium && v.emptyDir!.medium !== '') throw new Error(`emptyDir medium ${v.emptyDir!.medium} is not supported`);
    else await ensureDir(dir, 0o777);
    return { mounted: { name: v.name, kind, hostPath: dir, readOnly: false }, updated: false };
  }
  // AtomicWriter volumes: compute first, so a failure leaves the previous content in place
  const result = await volumePayload(v, { pod, reader: opts.reader, nodeAllocatable: opts.nodeAllocatable });
  for (const w of result!.warnings) opts.recorder?.({ type: 'Warning', reason: 'VolumeSourceSkipped', message: `volume "${v.name}": ${w}` });
  if (kind === 'secret' || kind === 'projected') await ensureMemoryDir(ctx, dir, emptyDirMemorySize(pod, undefined, opts.nodeAllocatable));
  else await ensureDir(dir, 0o777);
  const updated = await atomicWrite(dir, result!.payload);
  return { mounted: { name: v.name, kind, hostPath: dir, readOnly: true }, updated };
}

async function setUp(pod: Pod, opts: VolumeOptions, only?: Set<VolumeKind>): Promise<SetUpResult> {
  const root = opts.root ?? DEFAULT_ROOT;
  const uid = pod.metadata.uid ?? '';
  const mounter = opts.mounter ?? systemMounter;
  const ctx: Ctx = { pod, root, uid, opts, mounter, mounts: await mounter.mountsUnder(podVolumesDir(root, uid)) };
  const out: SetUpResult = { volumes: new Map(), errors: [], updated: [] };
  for (const v of pod.spec.volumes ?? []) {
    const kind = volumeKind(v);
    if (only && (!kind || !only.has(kind))) continue;
    try {
      if (!kind) {
        const src = Object.keys(v).find((k) => k !== 'name' && v[k] != null) ?? 'none';
        throw new Error(`volume source ${src} is not supported on this node`);
      }
      const { mounted, updated } = await setUpOne(ctx, v, kind);
      out.volumes.set(v.name, mounted);
      if (updated) out.updated.push(v.name);
    } catch (e) {
      const err = new VolumeError(v.name, `MountVolume.SetUp failed for volume "${v.name}" : ${(e as Error).message}`, { cause: e });
      out.errors.push(err);
      opts.recorder?.({ type: 'Warning', reason: 'FailedMount', message: err.message });
    }
  }
  return out;
}

/** Sets up every volume of the pod (idempotent: call it on every sync). */
export function setUpPodVolumes(pod: Pod, opts: VolumeOptions): Promise<SetUpResult> {
  return setUp(pod, opts);
}

/** Re-materializes the configMap / secret / downwardAPI / projected volumes whose content changed. */
export function updatePodVolumes(pod: Pod, opts: VolumeOptions): Promise<SetUpResult> {
  return setUp(pod, opts, ATOMIC_KINDS);
}

/** rm -r that unlinks symlinks (never follows them) and refuses to cross into another filesystem. */
export async function removeTree(path: string, dev?: number): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
    throw e;
  }
  if (!st.isDirectory()) {
    await unlink(path);
    return;
  }
  if (dev !== undefined && st.dev !== dev) throw new Error(`refusing to remove ${path}: it is on another filesystem (a mount point)`);
  for (const name of await readdir(path)) await removeTree(join(path, name), st.dev);
  await rmdir(path);
}

function isManagedVolumeDir(root: string, uid: string, path: string): boolean {
  const base = podVolumesDir(root, uid);
  if (!path.startsWith(`${base}/`)) return false;
  const parts = path.slice(base.length + 1).split('/');
  return parts.length === 2 && Object.values(VOLUME_PLUGIN_DIRS).includes(parts[0] as never);
}

/**
 * Unmounts the pod's tmpfs volumes and removes <root>/pods/<uid>/volumes. Refuses (throws, removing
 * nothing) while anything else is mounted under the pod's directory. hostPath volumes live outside
 * it and are never touched.
 */
export async function cleanupPodVolumes(uid: string, opts: { root?: string; mounter?: Mounter } = {}): Promise<void> {
  const root = opts.root ?? DEFAULT_ROOT;
  const mounter = opts.mounter ?? systemMounter;
  const mounts = await mounter.mountsUnder(podDir(root, uid));
  const foreign = mounts.filter((m) => !(m.fsType === 'tmpfs' && isManagedVolumeDir(root, uid, m.path)));
  if (foreign.length) throw new Error(`cannot clean up pod ${uid}: still mounted under its directory: ${foreign.map((m) => m.path).join(', ')}`);
  for (const m of mounts) await mounter.unmount(m.path);
  await removeTree(podVolumesDir(root, uid));
}

/** cleanupPodVolumes, then the rest of <root>/pods/<uid> (etc-hosts, termination-message files). */
export async function removePodDirectory(uid: string, opts: { root?: string; mounter?: Mounter } = {}): Promise<void> {
  await cleanupPodVolumes(uid, opts);
  await removeTree(podDir(opts.root ?? DEFAULT_ROOT, uid));
}
