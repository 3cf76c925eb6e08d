// The node's device manager (kube's pkg/kubelet/cm/devicemanager, the parts a Skiff node needs):
// - serves v1beta1.Registration on <dir>/kubelet.sock, recreating the socket if it is removed;
//   a registration with another API version or an invalid extended-resource name is refused
//   (a gRPC error to the plugin, a Warning Event on the Node);
// - dials each registered plugin on <dir>/<endpoint> and keeps its ListAndWatch stream: the
//   devices listed are the resource's capacity, the healthy ones its allocatable; a plugin that
//   registers again replaces the old endpoint;
// - a plugin whose stream ends (stopped, crashed, socket gone) has its devices withdrawn:
//   allocatable 0 at once, capacity kept for a grace period (kube: 5 minutes), then 0; the
//   containers it already gave devices keep them;
// - allocate(): picks free healthy devices (the plugin's GetPreferredAllocation when it offers
//   one), calls Allocate, and keeps the answer per container in a checkpoint, so the same
//   container (a restart, an agent restart) gets the same devices and the same answer again;
// - release(): a pod gone from the node gives its devices back.
import { existsSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { isExtendedResourceName } from '@skiff/api';
import { EventRecorder } from '@skiff/client';
import type { Kernel, KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { devices, type KeyValue, type Mount } from '@skiff/node-api';
import { readCheckpoint, writeCheckpoint, type CheckpointEntry } from './checkpoint.ts';
import { PluginEndpoint } from './endpoint.ts';
import { DeviceAllocationFailure } from './errors.ts';
import { bindUnix, devicePluginProto, grpcError } from './proto.ts';

/** kube's endpointStopGracePeriod: how long a gone plugin's capacity stays on the Node */
export const DEFAULT_GRACE_PERIOD_MS = 5 * 60_000;
export const SUPPORTED_VERSIONS = [devices.DEVICE_PLUGIN_VERSION];
export const REASON_REGISTRATION_FAILED = 'FailedDevicePluginRegistration';

export interface DeviceManagerOptions {
  /** the device-plugins directory (kubelet.sock, the plugins' sockets, the checkpoint) */
  dir: string;
  nodeName: string;
  /** for Events on the Node (none without it) */
  kernel?: Kernel;
  logger: Logger;
  gracePeriodMs?: number;
  /** how often kubelet.sock's presence is checked (ms) */
  socketCheckMs?: number;
  /** deadline of each call to a plugin (ms) */
  callTimeoutMs?: number;
}

interface Resource {
  name: string;
  endpoint?: PluginEndpoint;
  /** the last list, by ID */
  devices: Map<string, devices.Device>;
  connected: boolean;
  graceTimer?: NodeJS.Timeout;
}

interface Allocated {
  ids: string[];
  response: devices.ContainerAllocateResponse;
}

interface ContainerEntry {
  ref: devices.ContainerRef;
  byResource: Map<string, Allocated>;
}

const containerKey = (podUid: string, container: string) => `${podUid}/${container}`;
const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

export class NodeDeviceManager implements devices.DeviceManager {
  private readonly resourcesByName = new Map<string, Resource>();
  /** podUid/container -> its devices */
  private readonly allocated = new Map<string, ContainerEntry>();
  private readonly listeners = new Set<() => void>();
  private readonly events?: EventRecorder;
  private server?: grpc.Server;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lock = Promise.resolve();
  private notifyQueued = false;

  constructor(private readonly o: DeviceManagerOptions) {
    if (o.kernel) this.events = new EventRecorder(o.kernel, 'kubelet', o.logger, { host: o.nodeName });
  }

  get socketPath(): string {
    return join(this.o.dir, devices.KUBELET_SOCKET);
  }

  /** Reads the checkpoint, clears stale sockets (plugins then register again, as with a kubelet) and serves Registration. */
  async start(): Promise<void> {
    // the registration socket lets whoever reaches it offer devices to pods: not for everybody
    mkdirSync(this.o.dir, { recursive: true, mode: 0o750 });
    const { data, problem } = readCheckpoint(this.o.dir);
    if (problem) this.o.logger.warn(problem);
    for (const e of data.entries) {
      const key = containerKey(e.podUid, e.container);
      const c = this.allocated.get(key) ?? { ref: { podUid: e.podUid, podNamespace: e.podNamespace, podName: e.podName, container: e.container }, byResource: new Map() };
      c.byResource.set(e.resource, { ids: e.deviceIds, response: e.response });
      this.allocated.set(key, c);
    }
    // the devices of before the restart: capacity kept (allocatable 0) until the plugin registers
    // again, or the grace period ends
    for (const [name, ids] of Object.entries(data.registeredDevices)) {
      const r = this.resource(name);
      for (const ID of ids) r.devices.set(ID, { ID, health: 'Unhealthy', topology: null });
      this.startGrace(r);
    }
    this.removeStaleSockets();
    await this.serve();
    this.timer = setInterval(() => void this.checkSocket(), this.o.socketCheckMs ?? 1_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const r of this.resourcesByName.values()) {
      r.endpoint?.stop();
      if (r.graceTimer) clearTimeout(r.graceTimer);
    }
    await this.shutdownServer();
    await this.events?.stop();
  }

  // --- the contract -----------------------------------------------------------------------------

  resources(): devices.ExtendedResource[] {
    return [...this.resourcesByName.values()]
      .map((r) => ({
        name: r.name,
        capacity: r.devices.size,
        allocatable: r.connected ? [...r.devices.values()].filter((d) => d.health === 'Healthy').length : 0,
        connected: r.connected,
      }))
      .sort((a, b) => byName(a.name, b.name));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  allocate(ref: devices.ContainerRef, requests: Record<string, number>): Promise<devices.DeviceAllocation> {
    return this.serial(() => this.allocateNow(ref, requests));
  }

  release(podUid: string): Promise<void> {
    return this.serial(async () => {
      let freed = false;
      for (const [key, c] of this.allocated) {
        if (c.ref.podUid !== podUid) continue;
        this.allocated.delete(key);
        freed = true;
      }
      if (freed) {
        this.checkpoint();
        this.notify();
      }
    });
  }

  allocatedPods(): string[] {
    return [...new Set([...this.allocated.values()].map((c) => c.ref.podUid))];
  }

  /** The device IDs in use, by resource (tests, diagnostics). */
  inUse(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const c of this.allocated.values()) for (const [res, a] of c.byResource) (out[res] ??= []).push(...a.ids);
    for (const [res, ids] of Object.entries(out)) out[res] = [...new Set(ids)].sort(byName);
    return out;
  }

  // --- allocation -------------------------------------------------------------------------------

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f);
    this.lock = run.then(() => undefined, () => undefined);
    return run;
  }

  /** A resource some plugin registered (now or before a restart), or one with devices allocated. */
  private isDevicePluginResource(name: string): boolean {
    if (this.resourcesByName.has(name)) return true;
    for (const c of this.allocated.values()) if (c.byResource.has(name)) return true;
    return false;
  }

  private async allocateNow(ref: devices.ContainerRef, requests: Record<string, number>): Promise<devices.DeviceAllocation> {
    const key = containerKey(ref.podUid, ref.container);
    const entry: ContainerEntry = this.allocated.get(key) ?? { ref: { ...ref }, byResource: new Map() };
    const made: string[] = [];
    try {
      for (const [res, count] of Object.entries(requests).sort(([a], [b]) => byName(a, b))) {
        if (!(count > 0) || !isExtendedResourceName(res) || !this.isDevicePluginResource(res)) continue;
        const had = entry.byResource.get(res);
        if (had && had.ids.length === count) continue; // the checkpoint's answer
        entry.byResource.set(res, await this.allocateResource(res, count, key, ref.podUid));
        this.allocated.set(key, entry);
        made.push(res);
      }
    } catch (e) {
      for (const res of made) entry.byResource.delete(res);
      if (entry.byResource.size === 0) this.allocated.delete(key);
      if (made.length) this.checkpoint();
      throw e;
    }
    if (made.length) {
      this.checkpoint();
      this.notify();
    }
    const wanted = [...entry.byResource].filter(([res]) => (requests[res] ?? 0) > 0);
    // PreStartContainer before a container starts: the kubelet's first call (its admission) only
    // allocates; the calls at container creation find the allocation made and run it
    for (const [res, a] of wanted) {
      if (made.includes(res)) continue;
      const r = this.resourcesByName.get(res);
      if (r?.endpoint?.options.preStartRequired) {
        await r.endpoint.preStartContainer(a.ids).catch((e) => {
          throw new DeviceAllocationFailure('DevicePluginError', `PreStartContainer of ${res} failed: ${(e as grpc.ServiceError).details ?? String(e)}`);
        });
      }
    }
    return merge(wanted);
  }

  /**
   * Devices of `res` for one container, allocated by its plugin: first those the pod's finished
   * init containers pass on (kube's devicesToReuse), then free healthy ones, chosen by the plugin.
   */
  private async allocateResource(res: string, count: number, key: string, podUid: string): Promise<Allocated> {
    const r = this.resourcesByName.get(res);
    const used = new Set<string>();
    const initHeld = new Set<string>();
    const appHeld = new Set<string>();
    for (const [k, c] of this.allocated) {
      if (k === key) continue;
      const ids = c.byResource.get(res)?.ids ?? [];
      for (const id of ids) used.add(id);
      if (c.ref.podUid === podUid) for (const id of ids) (c.ref.init ? initHeld : appHeld).add(id);
    }
    const reused = [...initHeld].filter((id) => !appHeld.has(id)).sort(byName).slice(0, count);
    const healthy = r?.connected ? [...r.devices.values()].filter((d) => d.health === 'Healthy').map((d) => d.ID) : [];
    const available = healthy.filter((id) => !used.has(id)).sort(byName);
    if (reused.length + available.length < count) {
      throw new DeviceAllocationFailure(
        'UnexpectedAdmissionError',
        `Allocate failed due to requested number of devices unavailable for ${res}. Requested: ${count}, Available: ${reused.length + available.length}, which is unexpected`,
      );
    }
    const endpoint = r?.endpoint;
    if (!endpoint) throw new DeviceAllocationFailure('DevicePluginError', `device plugin for ${res} is not registered`);
    const candidates = [...reused, ...available];
    let ids = candidates.slice(0, count);
    if (reused.length < count && endpoint.options.getPreferredAllocationAvailable) {
      try {
        const pref = await endpoint.getPreferredAllocation({ containerRequests: [{ availableDeviceIDs: candidates, mustIncludeDeviceIDs: reused, allocationSize: count }] });
        const picked = pref.containerResponses[0]?.deviceIDs ?? [];
        // an answer that does not fit (too few, unknown or repeated devices, reused ones left out) is ignored, as kube does
        if (picked.length === count && new Set(picked).size === count && picked.every((id) => candidates.includes(id)) && reused.every((id) => picked.includes(id))) ids = [...picked];
        else this.o.logger.warn('device plugin: preferred allocation ignored (not a valid choice)', { resource: res, picked });
      } catch (e) {
        this.o.logger.warn('device plugin: GetPreferredAllocation failed; choosing the devices ourselves', { resource: res, error: String(e) });
      }
    }
    let answer: devices.AllocateResponse;
    try {
      answer = await endpoint.allocate({ containerRequests: [{ devicesIds: ids }] });
    } catch (e) {
      throw new DeviceAllocationFailure('DevicePluginError', `device plugin for ${res} refused Allocate: ${(e as grpc.ServiceError).details ?? String(e)}`);
    }
    const response = answer.containerResponses[0];
    if (!response || answer.containerResponses.length !== 1) {
      throw new DeviceAllocationFailure('DevicePluginError', `device plugin for ${res} answered Allocate with ${answer.containerResponses.length} container responses for 1 request`);
    }
    return { ids, response };
  }

  private checkpoint(): void {
    const entries: CheckpointEntry[] = [];
    for (const c of this.allocated.values()) for (const [resource, a] of c.byResource) entries.push({ ...c.ref, resource, deviceIds: a.ids, response: a.response });
    const registeredDevices: Record<string, string[]> = {};
    for (const r of this.resourcesByName.values()) if (r.devices.size) registeredDevices[r.name] = [...r.devices.keys()].sort(byName);
    try {
      writeCheckpoint(this.o.dir, { entries, registeredDevices });
    } catch (e) {
      this.o.logger.error('device checkpoint not written', { dir: this.o.dir, error: String(e) });
    }
  }

  // --- registration -----------------------------------------------------------------------------

  private resource(name: string): Resource {
    let r = this.resourcesByName.get(name);
    if (!r) {
      r = { name, devices: new Map(), connected: false };
      this.resourcesByName.set(name, r);
    }
    return r;
  }

  /** Called back (coalesced) after any change of resources(). */
  private notify(): void {
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const l of this.listeners) {
        try {
          l();
        } catch (e) {
          this.o.logger.warn('device manager listener failed', { error: String(e) });
        }
      }
    });
  }

  /** Why a registration is refused (kube's messages), or undefined. */
  private refusal(r: devices.RegisterRequest): string | undefined {
    if (!SUPPORTED_VERSIONS.includes(r.version)) return `requested API version ${JSON.stringify(r.version)} is not supported by kubelet. Supported versions are ${JSON.stringify(SUPPORTED_VERSIONS)}`;
    if (!isExtendedResourceName(r.resourceName)) return `the ResourceName ${JSON.stringify(r.resourceName)} is invalid`;
    if (!r.endpoint || r.endpoint.includes('/') || r.endpoint === '.' || r.endpoint === '..' || r.endpoint === devices.KUBELET_SOCKET)
      return `the endpoint ${JSON.stringify(r.endpoint)} is invalid: a socket file name in the device-plugins directory`;
    return undefined;
  }

  private onRegister(req: devices.RegisterRequest, cb: grpc.sendUnaryData<object>): void {
    const why = this.refusal(req);
    if (why) {
      this.o.logger.warn('device plugin registration refused', { resource: req.resourceName, version: req.version, endpoint: req.endpoint, reason: why });
      this.nodeEvent('Warning', REASON_REGISTRATION_FAILED, `Device plugin registration of ${JSON.stringify(req.resourceName)} (endpoint ${JSON.stringify(req.endpoint)}) refused: ${why}`);
      cb(grpcError(grpc.status.INVALID_ARGUMENT, why));
      return;
    }
    this.o.logger.info('device plugin registered', { resource: req.resourceName, endpoint: req.endpoint });
    cb(null, {});
    // as kube's kubelet: answer first, then dial the plugin (it serves before it registers)
    void this.connect(req);
  }

  private async connect(req: devices.RegisterRequest): Promise<void> {
    const r = this.resource(req.resourceName);
    const options = req.options ?? { preStartRequired: false, getPreferredAllocationAvailable: false };
    const ep = new PluginEndpoint(req.resourceName, join(this.o.dir, req.endpoint), options, this.o.callTimeoutMs);
    // a plugin registering again replaces the old endpoint (its stream is not waited for)
    r.endpoint?.stop();
    r.endpoint = ep;
    try {
      await ep.start({
        devices: (list) => {
          if (r.endpoint !== ep || this.stopped) return;
          if (r.graceTimer) clearTimeout(r.graceTimer);
          r.graceTimer = undefined;
          r.devices = new Map(list.map((d) => [d.ID, d]));
          r.connected = true;
          this.checkpoint();
          this.notify();
        },
        end: (why) => this.disconnected(r, ep, why),
      });
    } catch (e) {
      this.disconnected(r, ep, `cannot dial the plugin: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private disconnected(r: Resource, ep: PluginEndpoint, why: string): void {
    if (r.endpoint !== ep || this.stopped) return;
    ep.stop();
    r.endpoint = undefined;
    r.connected = false;
    this.o.logger.warn('device plugin gone: its devices are withdrawn', { resource: r.name, reason: why });
    this.startGrace(r);
    this.notify();
  }

  /** Capacity stays for the grace period after a plugin goes; then the resource has no devices. */
  private startGrace(r: Resource): void {
    if (r.graceTimer) clearTimeout(r.graceTimer);
    r.graceTimer = setTimeout(() => {
      r.graceTimer = undefined;
      if (r.connected) return;
      r.devices.clear();
      this.checkpoint();
      this.notify();
    }, this.o.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS);
    r.graceTimer.unref();
  }

  private nodeEvent(type: 'Normal' | 'Warning', reason: string, message: string): void {
    // kubelet's node reference: its UID is the node's name
    const node: KObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: this.o.nodeName, uid: this.o.nodeName } };
    this.events?.record(node, { type, reason, message });
  }

  // --- the Registration socket ------------------------------------------------------------------

  private async serve(): Promise<void> {
    const { Registration } = devicePluginProto();
    const server = new grpc.Server();
    server.addService(Registration.service, {
      Register: (call: grpc.ServerUnaryCall<devices.RegisterRequest, object>, cb: grpc.sendUnaryData<object>) => this.onRegister(call.request, cb),
    });
    if (existsSync(this.socketPath)) unlinkSync(this.socketPath);
    await bindUnix(server, this.socketPath);
    this.server = server;
    this.o.logger.info('device plugin registration served', { socket: this.socketPath });
  }

  private async shutdownServer(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.forceShutdown();
  }

  /**
   * kubelet.sock removed (by hand, by a cleanup): served again, so plugins can (re-)register. A
   * plugin whose socket file is gone is gone too, even if its stream is still open.
   */
  private async checkSocket(): Promise<void> {
    if (this.stopped) return;
    for (const r of this.resourcesByName.values()) {
      const ep = r.endpoint;
      if (ep && !existsSync(ep.socketPath)) this.disconnected(r, ep, `its socket ${ep.socketPath} is gone`);
    }
    if (existsSync(this.socketPath)) return;
    this.o.logger.warn('device plugin registration socket removed; serving it again', { socket: this.socketPath });
    await this.shutdownServer();
    await this.serve().catch((e) => this.o.logger.error('device plugin registration socket not served', { error: String(e) }));
  }

  /** Stale sockets of plugins from before a restart: removed, so the plugins see it and register again. */
  private removeStaleSockets(): void {
    for (const f of readdirSync(this.o.dir)) {
      const p = join(this.o.dir, f);
      try {
        if (lstatSync(p).isSocket()) unlinkSync(p);
      } catch {
        /* gone already */
      }
    }
  }
}

/** The answers for one container's resources, merged into CRI shapes. */
function merge(answers: [string, Allocated][]): devices.DeviceAllocation {
  const out: devices.DeviceAllocation = { deviceIds: {}, envs: [], mounts: [], devices: [], annotations: {} };
  const envs = new Map<string, string>();
  for (const [res, a] of answers) {
    out.deviceIds[res] = [...a.ids];
    const r = a.response;
    for (const [k, v] of Object.entries(r.envs ?? {})) envs.set(k, v);
    for (const m of r.mounts ?? []) {
      if (out.mounts.some((x) => x.containerPath === m.containerPath)) continue;
      out.mounts.push({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readOnly, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' } satisfies Mount);
    }
    for (const d of r.devices ?? []) {
      if (out.devices.some((x) => x.containerPath === d.containerPath)) continue;
      out.devices.push({ containerPath: d.containerPath, hostPath: d.hostPath, permissions: d.permissions || 'rwm' });
    }
    Object.assign(out.annotations, r.annotations ?? {});
    // CDI devices: the CRI here has no field for them; kube's annotation form (before CRI had one)
    const cdi = (r.cdiDevices ?? []).map((d) => d.name).filter(Boolean);
    if (cdi.length) out.annotations[`cdi.k8s.io/devicemanager_${res.replace(/[^A-Za-z0-9]/g, '_')}`] = cdi.join(',');
  }
  out.envs = [...envs].map(([key, value]): KeyValue => ({ key, value }));
  return out;
}
