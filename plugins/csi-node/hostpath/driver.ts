// The host-path CSI driver's Identity, Controller and Node services, as plain async functions of
// the decoded requests (server.ts puts them on gRPC). A volume is an xfs image file of its own size
// on a loop device, mounted at each publish target, so a pod's `df` shows the volume's size.
// Only SINGLE_NODE_* access modes and mount volumes (xfs) are served: the data lives on one node.
// Calls that change volumes or mounts run one at a time.
import { mkdir, rm, rmdir, stat } from 'node:fs/promises';
import { parseQuantity } from '@skiff/api';
import { GrpcStatus, type csi } from '@skiff/node-api';
import {
  attachLoop, detachLoops, fsStats, growFilesystem, growImage, HostOpError, loopDevicesOf, makeImage, MIN_VOLUME_BYTES, mount, mounts, umount,
} from './host-ops.ts';
import { volumeIdFor, VolumeState, type VolumeRecord } from './state.ts';

export const HOSTPATH_DRIVER_NAME = 'hostpath.csi.skiff.io';
export const HOSTPATH_TOPOLOGY_KEY = 'topology.hostpath.csi.skiff.io/node';
export const HOSTPATH_VERSION = '0.1.0';
/** the volume context key the kubelet sets on a CSI inline volume's publish */
export const EPHEMERAL_CONTEXT = 'csi.storage.k8s.io/ephemeral';

const MiB = 1024 * 1024;
const SUPPORTED_MODES = new Set(['SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY', 'SINGLE_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER']);

export class DriverError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (m: string) => new DriverError(GrpcStatus.INVALID_ARGUMENT, m);
const notFound = (m: string) => new DriverError(GrpcStatus.NOT_FOUND, m);

export interface HostpathDriverOptions {
  nodeId: string;
  dataDir: string;
  /** bytes the driver may give to volumes in all */
  capacityBytes: number;
  /** NodeGetInfo's max_volumes_per_node (0: no limit) */
  maxVolumesPerNode: number;
}

type Req = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The size a request gets: at least required (and xfs's minimum), rounded up to MiB, at most limit. */
export function sizeFor(range: { requiredBytes?: number; limitBytes?: number } | null | undefined, fallback = MIN_VOLUME_BYTES): number {
  const required = Number(range?.requiredBytes ?? 0);
  const limit = Number(range?.limitBytes ?? 0);
  if (required < 0 || limit < 0) throw invalid('capacity_range: negative bytes');
  if (limit && required > limit) throw invalid(`capacity_range: required_bytes ${required} > limit_bytes ${limit}`);
  const size = Math.max(Math.ceil((required || fallback) / MiB) * MiB, MIN_VOLUME_BYTES);
  if (limit && size > limit) throw new DriverError(GrpcStatus.OUT_OF_RANGE, `limit_bytes ${limit} is below the smallest volume this driver makes (${MIN_VOLUME_BYTES} bytes, mkfs.xfs's minimum)`);
  return size;
}

/** Refuses what the driver cannot serve: block volumes, filesystems other than xfs, multi-node access. */
export function checkCapability(cap: Req | null | undefined, where: string): void {
  if (!cap) throw invalid(`${where}: volume capability missing`);
  if (cap.block) throw invalid(`${where}: block volumes are not supported (mount only)`);
  const fsType = cap.mount?.fsType ?? '';
  if (fsType && fsType !== 'xfs') throw invalid(`${where}: fs_type ${JSON.stringify(fsType)} is not supported (xfs)`);
  const mode = cap.accessMode?.mode ?? 'UNKNOWN';
  if (!SUPPORTED_MODES.has(mode)) throw invalid(`${where}: access mode ${mode} is not supported (the volume lives on one node: SINGLE_NODE_* only)`);
}

export class HostpathDriver {
  private readonly queues = new Map<string, Promise<unknown>>();
  /** bytes of volumes being made (counted against the capacity until recorded) */
  private reserved = 0;

  private constructor(
    readonly opts: HostpathDriverOptions,
    private readonly state: VolumeState,
  ) {}

  static async open(opts: HostpathDriverOptions): Promise<HostpathDriver> {
    return new HostpathDriver(opts, await VolumeState.open(opts.dataDir));
  }

  get topology(): csi.Topology {
    return { segments: { [HOSTPATH_TOPOLOGY_KEY]: this.opts.nodeId } };
  }

  volumes(): VolumeRecord[] {
    return this.state.list();
  }

  /**
   * Runs `fn` after every call queued before it for the same volume: calls for one volume take
   * turns, calls for different volumes run at once (the provisioner's workers make several volumes
   * at a time; mkfs and losetup take hundreds of ms each).
   */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return next;
  }

  // --- Identity ---------------------------------------------------------------------------------

  getPluginInfo(): csi.GetPluginInfoResponse {
    return { name: HOSTPATH_DRIVER_NAME, vendorVersion: HOSTPATH_VERSION, manifest: {} };
  }

  getPluginCapabilities(): { capabilities: Req[] } {
    return {
      capabilities: [
        { service: { type: 'CONTROLLER_SERVICE' } },
        { service: { type: 'VOLUME_ACCESSIBILITY_CONSTRAINTS' } },
        { volumeExpansion: { type: 'ONLINE' } },
      ],
    };
  }

  probe(): csi.ProbeResponse {
    return { ready: { value: true } };
  }

  // --- Controller -------------------------------------------------------------------------------

  controllerGetCapabilities(): { capabilities: Req[] } {
    return { capabilities: ['CREATE_DELETE_VOLUME', 'GET_CAPACITY', 'EXPAND_VOLUME'].map((type) => ({ rpc: { type } })) };
  }

  createVolume(req: Req): Promise<{ volume: csi.Volume }> {
    return this.serial(volumeIdFor(String(req.name ?? '')), async () => {
      const name = String(req.name ?? '');
      if (!name) throw invalid('name is required');
      const caps = (req.volumeCapabilities ?? []) as Req[];
      if (!caps.length) throw invalid('volume_capabilities is required');
      caps.forEach((c, i) => checkCapability(c, `volume_capabilities[${i}]`));
      if (req.volumeContentSource) throw invalid('volume_content_source is not supported (no snapshots or clones)');
      const requisite = (req.accessibilityRequirements?.requisite ?? []) as csi.Topology[];
      if (requisite.length && !requisite.some((t) => t.segments?.[HOSTPATH_TOPOLOGY_KEY] === this.opts.nodeId))
        throw new DriverError(GrpcStatus.RESOURCE_EXHAUSTED, `this driver serves node ${this.opts.nodeId} only, which the requisite topology does not include`);
      const size = sizeFor(req.capacityRange);
      const id = volumeIdFor(name);
      const existing = this.state.get(id);
      if (existing) {
        const limit = Number(req.capacityRange?.limitBytes ?? 0);
        const required = Number(req.capacityRange?.requiredBytes ?? 0);
        if (existing.capacityBytes < required || (limit && existing.capacityBytes > limit))
          throw new DriverError(GrpcStatus.ALREADY_EXISTS, `volume ${name} exists with ${existing.capacityBytes} bytes, outside the requested range`);
        return { volume: this.volumeOf(existing) };
      }
      const record = await this.makeVolume({ id, name, capacityBytes: size, parameters: req.parameters ?? {}, created: new Date().toISOString() });
      return { volume: this.volumeOf(record) };
    });
  }

  private volumeOf(v: VolumeRecord): csi.Volume {
    return { volumeId: v.id, capacityBytes: v.capacityBytes, volumeContext: {}, contentSource: null, accessibleTopology: [this.topology] };
  }

  deleteVolume(req: Req): Promise<object> {
    return this.serial(String(req.volumeId ?? ''), async () => {
      const id = String(req.volumeId ?? '');
      if (!id) throw invalid('volume_id is required');
      const path = this.state.imagePath(id);
      const devices = await loopDevicesOf(path).catch((): string[] => []);
      const inUse = (await mounts()).filter((m) => devices.includes(m.source));
      if (inUse.length) throw new DriverError(GrpcStatus.FAILED_PRECONDITION, `volume ${id} is still published at ${inUse.map((m) => m.mountPoint).join(', ')}`);
      await detachLoops(path).catch(() => {});
      await rm(path, { force: true });
      await this.state.remove(id); // absent: already deleted (DeleteVolume is idempotent)
      return {};
    });
  }

  controllerExpandVolume(req: Req): Promise<csi.ControllerExpandVolumeResponse> {
    return this.serial(String(req.volumeId ?? ''), async () => {
      const v = this.mustGet(req.volumeId);
      if (req.volumeCapability) checkCapability(req.volumeCapability, 'volume_capability');
      const size = sizeFor(req.capacityRange, v.capacityBytes);
      if (size > v.capacityBytes) {
        const growth = size - v.capacityBytes;
        const free = this.free();
        if (size > this.opts.capacityBytes) throw new DriverError(GrpcStatus.OUT_OF_RANGE, `${size} bytes is more than this driver's whole capacity (${this.opts.capacityBytes})`);
        if (growth > free) throw new DriverError(GrpcStatus.OUT_OF_RANGE, `growing by ${growth} bytes needs more than the ${free} bytes free`);
        this.reserved += growth;
        try {
          await growImage(this.state.imagePath(v.id), size).catch((e) => Promise.reject(hostError(e)));
          await this.state.put({ ...v, capacityBytes: size });
        } finally {
          this.reserved -= growth;
        }
      }
      // the filesystem grows on the node: NodeExpandVolume while published, else at the next publish
      return { capacityBytes: Math.max(size, v.capacityBytes), nodeExpansionRequired: true };
    });
  }

  getCapacity(req: Req): csi.GetCapacityResponse {
    const seg = (req.accessibleTopology as csi.Topology | null)?.segments ?? {};
    const elsewhere = seg[HOSTPATH_TOPOLOGY_KEY] !== undefined && seg[HOSTPATH_TOPOLOGY_KEY] !== this.opts.nodeId;
    const free = elsewhere ? 0 : Math.max(0, this.free());
    return { availableCapacity: free, maximumVolumeSize: { value: free }, minimumVolumeSize: { value: MIN_VOLUME_BYTES } };
  }

  /** bytes not given to volumes, nor to volumes being made or grown */
  private free(): number {
    return this.opts.capacityBytes - this.state.allocated() - this.reserved;
  }

  private mustGet(id: unknown): VolumeRecord {
    if (!id) throw invalid('volume_id is required');
    const v = this.state.get(String(id));
    if (!v) throw notFound(`volume ${String(id)} does not exist`);
    return v;
  }

  // --- Node -------------------------------------------------------------------------------------

  nodeGetInfo(): csi.NodeGetInfoResponse {
    return { nodeId: this.opts.nodeId, maxVolumesPerNode: this.opts.maxVolumesPerNode, accessibleTopology: this.topology };
  }

  nodeGetCapabilities(): { capabilities: Req[] } {
    return { capabilities: ['GET_VOLUME_STATS', 'EXPAND_VOLUME'].map((type) => ({ rpc: { type } })) };
  }

  /** The mounts of volume `v` (its loop device's), and its device (undefined when not attached). */
  private async mountsOf(v: VolumeRecord): Promise<{ device: string | undefined; at: string[] }> {
    const [device] = await loopDevicesOf(this.state.imagePath(v.id));
    if (!device) return { device, at: [] };
    return { device, at: (await mounts()).filter((m) => m.source === device).map((m) => m.mountPoint) };
  }

  nodePublishVolume(req: Req): Promise<object> {
    return this.serial(String(req.volumeId ?? ''), async () => {
      const target = String(req.targetPath ?? '');
      if (!target) throw invalid('target_path is required');
      checkCapability(req.volumeCapability, 'volume_capability');
      const v = await this.ephemeralVolume(req) ?? this.mustGet(req.volumeId);
      const { at } = await this.mountsOf(v);
      if (at.includes(target)) return {}; // published already
      if ((await mounts()).some((m) => m.mountPoint === target)) throw new DriverError(GrpcStatus.ALREADY_EXISTS, `${target} has another mount`);
      const options = [...((req.volumeCapability?.mount?.mountFlags as string[]) ?? [])];
      if (req.readonly) options.push('ro');
      try {
        const device = await attachLoop(this.state.imagePath(v.id));
        await mkdir(target, { recursive: true });
        await mount(device, target, options);
        // a volume expanded while unpublished (or before NodeExpandVolume came) grows here
        if (!req.readonly && (v.fsBytes ?? 0) < v.capacityBytes) {
          await growFilesystem(target);
          await this.state.put({ ...v, fsBytes: v.capacityBytes });
        }
      } catch (e) {
        if (!(await this.mountsOf(v)).at.length) {
          await detachLoops(this.state.imagePath(v.id)).catch(() => {});
          if (v.ephemeral) {
            await rm(this.state.imagePath(v.id), { force: true });
            await this.state.remove(v.id);
          }
        }
        throw hostError(e);
      }
      return {};
    });
  }

  /**
   * A CSI inline volume (volume context csi.storage.k8s.io/ephemeral = "true", the pod's own): made
   * here on its first publish, of the size its `size` attribute asks (default the smallest), under
   * the volume ID the kubelet chose.
   */
  private async ephemeralVolume(req: Req): Promise<VolumeRecord | undefined> {
    const ctx = (req.volumeContext ?? {}) as Record<string, string>;
    if (ctx[EPHEMERAL_CONTEXT] !== 'true') return undefined;
    const id = String(req.volumeId ?? '');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) throw invalid(`volume_id ${JSON.stringify(id)}: an inline volume's ID must be a file name (letters, digits, . _ -)`);
    const existing = this.state.get(id);
    if (existing) return existing;
    let requested = 0;
    if (ctx.size) {
      try {
        requested = Math.ceil(parseQuantity(ctx.size));
      } catch {
        throw invalid(`volume attribute size ${JSON.stringify(ctx.size)} is not a quantity`);
      }
    }
    const size = sizeFor({ requiredBytes: requested });
    return this.makeVolume({ id, name: `ephemeral:${id}`, capacityBytes: size, parameters: {}, created: new Date().toISOString(), ephemeral: true });
  }

  /** Makes the image of `v` when the capacity allows it (nothing is left of a failed attempt), and records it. */
  private async makeVolume(v: VolumeRecord): Promise<VolumeRecord> {
    const size = v.capacityBytes;
    if (size > this.opts.capacityBytes) throw new DriverError(GrpcStatus.OUT_OF_RANGE, `${size} bytes is more than this driver's whole capacity (${this.opts.capacityBytes})`);
    const free = this.free();
    if (size > free) throw new DriverError(GrpcStatus.RESOURCE_EXHAUSTED, `${size} bytes asked, ${free} bytes free of ${this.opts.capacityBytes}`);
    // counted from here (other volumes are made meanwhile), recorded below
    this.reserved += size;
    try {
      const path = this.state.imagePath(v.id);
      try {
        await makeImage(path, size);
      } catch (e) {
        await rm(path, { force: true });
        throw hostError(e);
      }
      const made = { ...v, fsBytes: size };
      await this.state.put(made);
      return made;
    } finally {
      this.reserved -= size;
    }
  }

  nodeUnpublishVolume(req: Req): Promise<object> {
    return this.serial(String(req.volumeId ?? ''), async () => {
      const id = String(req.volumeId ?? '');
      const target = String(req.targetPath ?? '');
      if (!id) throw invalid('volume_id is required');
      if (!target) throw invalid('target_path is required');
      const v = this.state.get(id);
      if (v) {
        const { at } = await this.mountsOf(v);
        if (at.includes(target)) await umount(target).catch((e) => Promise.reject(hostError(e)));
        if (!(await this.mountsOf(v)).at.length) {
          await detachLoops(this.state.imagePath(v.id));
          if (v.ephemeral) {
            // an inline volume ends with its pod
            await rm(this.state.imagePath(v.id), { force: true });
            await this.state.remove(v.id);
          }
        }
      } else if ((await mounts()).some((m) => m.mountPoint === target)) {
        throw notFound(`volume ${id} does not exist`);
      }
      // the spec: the plugin removes the target it made; a directory with files in it is not ours
      await rmdir(target).catch(() => {});
      return {};
    });
  }

  nodeExpandVolume(req: Req): Promise<{ capacityBytes: number }> {
    return this.serial(String(req.volumeId ?? ''), async () => {
      const v = this.mustGet(req.volumeId);
      const path = String(req.volumePath ?? '');
      if (!path) throw invalid('volume_path is required');
      const { at } = await this.mountsOf(v);
      if (!at.includes(path)) throw notFound(`volume ${v.id} is not published at ${path}`);
      const wanted = Number(req.capacityRange?.requiredBytes ?? 0);
      if (wanted > v.capacityBytes) throw new DriverError(GrpcStatus.OUT_OF_RANGE, `${wanted} bytes asked; the volume has ${v.capacityBytes} (ControllerExpandVolume first)`);
      await growFilesystem(path).catch((e) => Promise.reject(hostError(e)));
      await this.state.put({ ...v, fsBytes: v.capacityBytes });
      return { capacityBytes: v.capacityBytes };
    });
  }

  async nodeGetVolumeStats(req: Req): Promise<csi.NodeGetVolumeStatsResponse> {
    const v = this.mustGet(req.volumeId);
    const path = String(req.volumePath ?? '');
    if (!path) throw invalid('volume_path is required');
    await stat(path).catch(() => Promise.reject(notFound(`${path} does not exist`)));
    const { at } = await this.mountsOf(v);
    if (!at.includes(path)) throw notFound(`volume ${v.id} is not published at ${path}`);
    const s = await fsStats(path);
    return {
      usage: [
        { unit: 'BYTES', total: s.totalBytes, available: s.availableBytes, used: s.usedBytes },
        { unit: 'INODES', total: s.totalInodes, available: s.freeInodes, used: s.totalInodes - s.freeInodes },
      ],
      volumeCondition: { abnormal: false, message: 'mounted' },
    };
  }
}

function hostError(e: unknown): Error {
  if (e instanceof DriverError) return e;
  return new DriverError(GrpcStatus.INTERNAL, e instanceof HostOpError ? e.message : String((e as Error)?.message ?? e));
}
