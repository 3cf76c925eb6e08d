// An in-memory CSI driver and registry (the CsiDrivers contract, csi/drivers.ts), for the tests of
// what consumes CSI (the kubelet's volumes, provisioners) and for hollow nodes: node calls with the
// spec's rules — NodeStage before NodePublish on STAGE_UNSTAGE_VOLUME drivers, every call
// idempotent, NOT_FOUND for a volume the driver does not know, FAILED_PRECONDITION for a publish to
// another staging path — and a record of the calls made, in order.
//
// With `mount: 'bind'` (root only) the driver does what a host-path driver does, for real: a volume
// is a directory under `dataDir`, NodeStage bind-mounts it at the staging path, NodePublish
// bind-mounts the staging path (or the volume's directory, without staging) at the target path
// (read-only when asked), the unpublish / unstage calls unmount and remove what they made. With
// 'none' (the default) no mount is made: the target directory only, so tests run without privileges.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CsiDriverClient, CsiDriverEvent, CsiDrivers, RegisteredCsiDriver } from '../csi/drivers.ts';
import type { NodeCapability, NodeExpandVolumeRequest, NodeGetVolumeStatsResponse, NodePublishVolumeRequest, NodeStageVolumeRequest, Input } from '../csi/types.ts';
import { GrpcStatus } from '../rpc-status.ts';

const run = promisify(execFile);

export class FakeCsiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'FakeCsiError';
  }
}

export interface FakeCsiCall {
  method: 'nodeStageVolume' | 'nodeUnstageVolume' | 'nodePublishVolume' | 'nodeUnpublishVolume' | 'nodeExpandVolume' | 'nodeGetVolumeStats';
  volumeId: string;
  /** the staging path (stage / unstage) or target path (publish / unpublish / expand / stats) */
  path: string;
  request?: unknown;
}

export interface FakeCsiDriverOptions {
  name?: string;
  nodeId?: string;
  /** default: STAGE_UNSTAGE_VOLUME, EXPAND_VOLUME, GET_VOLUME_STATS */
  nodeCapabilities?: NodeCapability[];
  mount?: 'bind' | 'none';
  /** where volumes live with mount 'bind' (a directory per volume id, made on first stage / publish) */
  dataDir?: string;
  /** volume ids the driver knows; undefined: every id */
  volumes?: Set<string>;
}

async function isMountPoint(path: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const esc = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return info.split('\n').some((l) => l.split(' ')[4] === esc);
}

export class FakeCsiDriver implements CsiDriverClient {
  readonly name: string;
  readonly endpoint: string;
  readonly controller = undefined;
  readonly nodeId: string;
  readonly calls: FakeCsiCall[] = [];
  /** volume id → staging path */
  readonly staged = new Map<string, string>();
  /** target path → volume id */
  readonly published = new Map<string, { volumeId: string; readonly: boolean; request: Input<NodePublishVolumeRequest> }>();
  /** volume id → bytes after NodeExpandVolume */
  readonly sizes = new Map<string, number>();
  private readonly failures = new Map<FakeCsiCall['method'], FakeCsiError[]>();

  constructor(private readonly opts: FakeCsiDriverOptions = {}) {
    this.name = opts.name ?? 'fake.csi.skiff.io';
    this.endpoint = `unix:///fake/${this.name}/csi.sock`;
    this.nodeId = opts.nodeId ?? 'fake-node';
  }

  get capabilities(): NodeCapability[] {
    return this.opts.nodeCapabilities ?? ['STAGE_UNSTAGE_VOLUME', 'EXPAND_VOLUME', 'GET_VOLUME_STATS'];
  }

  /** The next call of `method` fails with `code`. */
  failNext(method: FakeCsiCall['method'], code: number, message = 'injected failure'): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), new FakeCsiError(code, message)]);
  }

  private enter(call: FakeCsiCall): void {
    this.calls.push(call);
    const f = this.failures.get(call.method)?.shift();
    if (f) throw f;
    if (this.opts.volumes && !this.opts.volumes.has(call.volumeId) && call.method !== 'nodeUnpublishVolume' && call.method !== 'nodeUnstageVolume')
      throw new FakeCsiError(GrpcStatus.NOT_FOUND, `volume ${call.volumeId} not found`);
    if (!call.volumeId) throw new FakeCsiError(GrpcStatus.INVALID_ARGUMENT, 'volume id missing');
    if (!call.path) throw new FakeCsiError(GrpcStatus.INVALID_ARGUMENT, 'path missing');
  }

  private get binds(): boolean {
    return this.opts.mount === 'bind';
  }

  private async dataOf(volumeId: string): Promise<string> {
    if (!this.opts.dataDir) throw new FakeCsiError(GrpcStatus.INTERNAL, 'no dataDir for bind mounts');
    const dir = join(this.opts.dataDir, volumeId.replace(/\//g, '_'));
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async getPluginInfo() {
    return { name: this.name, vendorVersion: '0.0.0', manifest: {} };
  }
  async getPluginCapabilities() {
    return [];
  }
  async probe() {
    return { ready: { value: true } };
  }
  async nodeGetInfo() {
    return { nodeId: this.nodeId, maxVolumesPerNode: 0, accessibleTopology: null };
  }
  async nodeGetCapabilities() {
    return [...this.capabilities];
  }

  async nodeStageVolume(r: Input<NodeStageVolumeRequest>): Promise<void> {
    const volumeId = r.volumeId ?? '';
    const path = r.stagingTargetPath ?? '';
    this.enter({ method: 'nodeStageVolume', volumeId, path, request: r });
    if (!this.capabilities.includes('STAGE_UNSTAGE_VOLUME')) throw new FakeCsiError(GrpcStatus.UNIMPLEMENTED, 'no STAGE_UNSTAGE_VOLUME');
    const at = this.staged.get(volumeId);
    if (at !== undefined && at !== path) throw new FakeCsiError(GrpcStatus.ALREADY_EXISTS, `volume ${volumeId} is staged at ${at}`);
    if (this.binds && !(await isMountPoint(path))) {
      await mkdir(path, { recursive: true });
      await run('mount', ['--bind', await this.dataOf(volumeId), path]);
    }
    this.staged.set(volumeId, path);
  }

  async nodeUnstageVolume(volumeId: string, path: string): Promise<void> {
    this.enter({ method: 'nodeUnstageVolume', volumeId, path });
    for (const p of this.published.values())
      if (p.volumeId === volumeId) throw new FakeCsiError(GrpcStatus.FAILED_PRECONDITION, `volume ${volumeId} is still published`);
    if (this.binds && (await isMountPoint(path))) await run('umount', [path]);
    this.staged.delete(volumeId);
  }

  async nodePublishVolume(r: Input<NodePublishVolumeRequest>): Promise<void> {
    const volumeId = r.volumeId ?? '';
    const path = r.targetPath ?? '';
    this.enter({ method: 'nodePublishVolume', volumeId, path, request: r });
    const staging = this.staged.get(volumeId);
    // a staging driver's volumes are staged first, but for inline (ephemeral) ones, which kube publishes directly
    const inline = r.volumeContext?.['csi.storage.k8s.io/ephemeral'] === 'true';
    if (this.capabilities.includes('STAGE_UNSTAGE_VOLUME') && !(inline && !r.stagingTargetPath)) {
      if (staging === undefined) throw new FakeCsiError(GrpcStatus.FAILED_PRECONDITION, `volume ${volumeId} is not staged`);
      if (staging !== r.stagingTargetPath) throw new FakeCsiError(GrpcStatus.FAILED_PRECONDITION, `volume ${volumeId} is staged at ${staging}, not ${r.stagingTargetPath}`);
    }
    const readonly = r.readonly === true;
    const had = this.published.get(path);
    if (had && (had.volumeId !== volumeId || had.readonly !== readonly)) throw new FakeCsiError(GrpcStatus.ALREADY_EXISTS, `${path} is published with other parameters`);
    // the driver makes the target (the CO makes its parent)
    await mkdir(path, { recursive: true });
    if (this.binds && !(await isMountPoint(path))) {
      await run('mount', ['--bind', staging ?? (await this.dataOf(volumeId)), path]);
      if (readonly) await run('mount', ['-o', 'remount,bind,ro', path]);
    }
    this.published.set(path, { volumeId, readonly, request: r });
  }

  async nodeUnpublishVolume(volumeId: string, path: string): Promise<void> {
    this.enter({ method: 'nodeUnpublishVolume', volumeId, path });
    if (this.binds && (await isMountPoint(path))) await run('umount', [path]);
    // the spec: the driver removes the target it made
    await rmdir(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    this.published.delete(path);
  }

  async nodeExpandVolume(r: Input<NodeExpandVolumeRequest>): Promise<number> {
    const volumeId = r.volumeId ?? '';
    this.enter({ method: 'nodeExpandVolume', volumeId, path: r.volumePath ?? '', request: r });
    const size = r.capacityRange?.requiredBytes ?? 0;
    this.sizes.set(volumeId, size);
    return size;
  }

  async nodeGetVolumeStats(volumeId: string, volumePath: string): Promise<NodeGetVolumeStatsResponse> {
    this.enter({ method: 'nodeGetVolumeStats', volumeId, path: volumePath });
    const total = this.sizes.get(volumeId) ?? 1 << 30;
    return { usage: [{ total, available: total, used: 0, unit: 'BYTES' }], volumeCondition: null };
  }

  /** The calls made, as "method volumeId" lines (order assertions). */
  callLog(): string[] {
    return this.calls.map((c) => `${c.method} ${c.volumeId}`);
  }
}

/** A CsiDrivers registry of fake (or any) drivers, registered and withdrawn by the test. */
export class FakeCsiDrivers implements CsiDrivers {
  private readonly drivers = new Map<string, CsiDriverClient & { nodeId?: string }>();
  private readonly listeners = new Set<(e: CsiDriverEvent) => void>();

  get(name: string): CsiDriverClient | undefined {
    return this.drivers.get(name);
  }

  list(): RegisteredCsiDriver[] {
    return [...this.drivers.values()].map((d) => this.registered(d));
  }

  onChange(listener: (e: CsiDriverEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  register(driver: CsiDriverClient & { nodeId?: string }): void {
    this.drivers.set(driver.name, driver);
    for (const l of this.listeners) l({ type: 'Registered', driver: this.registered(driver) });
  }

  deregister(name: string): void {
    const d = this.drivers.get(name);
    if (!d) return;
    this.drivers.delete(name);
    for (const l of this.listeners) l({ type: 'Deregistered', driver: this.registered(d) });
  }

  private registered(d: CsiDriverClient & { nodeId?: string }): RegisteredCsiDriver {
    return { name: d.name, endpoint: d.endpoint, versions: ['1.0.0'], nodeId: d.nodeId ?? '', maxVolumesPerNode: 0, topologyKeys: [] };
  }
}
