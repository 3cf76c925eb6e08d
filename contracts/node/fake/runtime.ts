// An in-memory CRI runtime: what k8s.io/cri-api's FakeRuntimeService and FakeImageService are to a
// kubelet's tests and to kubemark's hollow nodes, with the state machine of a real runtime, so the
// kubelet's own code runs against it unchanged — in unit tests that need no containerd, and on
// hollow nodes (plugins/node-sim provides it as the node's skiff.io/cri runtime).
//
//  - Sandboxes: RunPodSandbox reserves the pod's name (a second sandbox with the same metadata and
//    attempt is refused, as containerd does), takes an address from the pod CIDR (none on the host
//    network; UpdateRuntimeConfig sets the CIDR), READY → NOTREADY on StopPodSandbox (its containers
//    killed, 137, the address released), gone on RemovePodSandbox (forcibly, containers included).
//  - Containers: CREATED → RUNNING → EXITED. CreateContainer needs a READY sandbox and a present
//    image, and reserves the container's name and attempt in its sandbox; StartContainer only
//    starts a CREATED one; StopContainer sends "SIGTERM" (exit 143 after the behaviour's stopDelayMs,
//    or 137 once the timeout ran out). A container runs until stopped, unless `behaviour` says it
//    exits by itself (after exitAfterMs, with exitCode: a crash, a job that completes).
//  - Images: present ones, and a registry of what a pull can fetch (default: anything).
//  - Every call can take a latency (per method), honours its deadline (DEADLINE_EXCEEDED) and abort
//    signal (CANCELLED), and fails with the gRPC code the real runtime sends (NOT_FOUND for an
//    unknown id, ...) as a CriError. Tests inject failures (failNext), make containers exit and
//    sandboxes die, and read the calls made.
// Streams (Exec, Attach, PortForward) answer UNIMPLEMENTED: there is no streaming server.
import { randomBytes } from 'node:crypto';
import { CriError } from '../cri/errors.ts';
import type { CallOptions, CriMethod, CriRuntime } from '../cri/runtime.ts';
import type {
  AttachRequest, Container, ContainerConfig, ContainerFilter, ContainerStats, ContainerStatsFilter, ContainerStatusResponse, ExecRequest,
  ExecSyncResponse, Image, ImageFsInfoResponse, ImageSpec, ImageStatusResponse, Input, Labels, LinuxContainerResources, NamespaceOption,
  PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatusResponse, StatusResponse, VersionResponse,
} from '../cri/types.ts';
import { GrpcStatus } from '../rpc-status.ts';
import { FakeImages, toImage, type Registry } from './images.ts';
import {
  containerStatusView, containerView, copy, sandboxView, statsView,
  type ContainerBehaviour, type ContainerRecord, type FakeContainerInfo, type SandboxRecord,
} from './records.ts';
import { IpPool } from './ip-pool.ts';

export type { ContainerBehaviour, FakeContainerInfo };

export interface FakeRuntimeOptions {
  /** latency of each call in ms, per method (default 0) */
  latencyMs?: Partial<Record<CriMethod, number>>;
  /** where pod addresses come from until UpdateRuntimeConfig gives one (default containerd's 10.88.0.0/16) */
  podCIDR?: string;
  /** NetworkReady stays false (and pod-network sandboxes fail) until UpdateRuntimeConfig gives a pod CIDR */
  waitForPodCIDR?: boolean;
  /** images present at the start: name -> size in bytes */
  images?: Record<string, number>;
  /** what a pull can fetch: name -> size, or 'any' (default: any image, `defaultImageSize` bytes) */
  registry?: Record<string, number> | 'any';
  defaultImageSize?: number;
  behaviour?: (c: FakeContainerInfo) => ContainerBehaviour | undefined;
  /** ExecSync's answer (probes); default exit 0, no output */
  onExecSync?: (c: FakeContainerInfo, cmd: string[]) => { exitCode: number; stdout?: string; stderr?: string };
  /** usage a running container reports in its stats (default none) */
  usage?: (c: FakeContainerInfo) => { cpuNanoCores: number; memoryBytes: number };
  runtimeName?: string;
  runtimeVersion?: string;
  /** keep every call's name in `calls` (default true; a long-running simulation turns it off) */
  recordCalls?: boolean;
}

const DEFAULT_POD_CIDR = '10.88.0.0/16';
const IMAGE_METHODS = new Set<string>(['listImages', 'imageStatus', 'pullImage', 'removeImage', 'imageFsInfo']);
const rpcName = (m: string) => `${IMAGE_METHODS.has(m) ? 'ImageService' : 'RuntimeService'}/${m[0].toUpperCase()}${m.slice(1)}`;
const labelsOf = (v: unknown): Labels => ({ ...((v ?? {}) as Labels) });
const matches = (labels: Labels, sel: Input<Labels> | null | undefined) => Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);
const idMatches = (id: string, want: string | null | undefined) => !want || id.startsWith(want);

export class FakeRuntime implements CriRuntime {
  /** every call, by method name, in order (unless recordCalls is off) */
  readonly calls: string[] = [];
  /** how many calls were made */
  callCount = 0;
  readonly images: FakeImages;
  latencyMs: Partial<Record<CriMethod, number>>;
  behaviour?: (c: FakeContainerInfo) => ContainerBehaviour | undefined;
  onExecSync?: (c: FakeContainerInfo, cmd: string[]) => { exitCode: number; stdout?: string; stderr?: string };
  usage?: (c: FakeContainerInfo) => { cpuNanoCores: number; memoryBytes: number };
  /** every call fails with UNAVAILABLE while true (the runtime is down) */
  unavailable = false;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  /** reserved sandbox and container names -> their ids */
  private readonly names = new Map<string, string>();
  private readonly failures = new Map<string, Error[]>();
  private pool: IpPool;
  private podCIDRGiven: boolean;
  private readonly waitForPodCIDR: boolean;
  private lastNs = 0;

  constructor(private readonly o: FakeRuntimeOptions = {}) {
    this.latencyMs = { ...o.latencyMs };
    this.behaviour = o.behaviour;
    this.onExecSync = o.onExecSync;
    this.usage = o.usage;
    this.pool = new IpPool(o.podCIDR ?? DEFAULT_POD_CIDR);
    this.podCIDRGiven = o.podCIDR !== undefined;
    this.waitForPodCIDR = o.waitForPodCIDR ?? false;
    const registry: Registry = o.registry === undefined || o.registry === 'any' ? 'any' : new Map(Object.entries(o.registry));
    this.images = new FakeImages(registry, o.defaultImageSize);
    for (const [name, size] of Object.entries(o.images ?? {})) this.images.add(name, size);
  }

  // --- for tests and simulations ---------------------------------------------------------------

  /** The next `times` calls of `method` fail with a CriError (code UNKNOWN unless given). */
  failNext(method: CriMethod, details: string, times = 1, code: number = GrpcStatus.UNKNOWN): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(new CriError(rpcName(method), code, details));
    this.failures.set(method, list);
  }

  /** A running container exits by itself (a crash, or its work done). */
  exit(containerId: string, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): void {
    const c = this.containers.get(containerId);
    if (!c || c.state !== 'CONTAINER_RUNNING') throw new Error(`fake runtime: container ${containerId} is not running`);
    this.finish(c, exitCode, reason);
  }

  /** A sandbox dies (its pause process is gone): NOTREADY; its containers keep their state. */
  killSandbox(sandboxId: string): void {
    const s = this.sandboxes.get(sandboxId);
    if (!s) throw new Error(`fake runtime: no sandbox ${sandboxId}`);
    s.state = 'SANDBOX_NOTREADY';
  }

  /** The sandboxes and containers held now (what ListPodSandbox and ListContainers answer). */
  listSandboxesNow(): PodSandbox[] {
    return [...this.sandboxes.values()].map((s) => sandboxView(s));
  }
  listContainersNow(): Container[] {
    return [...this.containers.values()].map((c) => containerView(c));
  }

  /** The pod CIDR addresses come from, and how many are in use. */
  get network(): { podCIDR: string; addressesInUse: number; ready: boolean } {
    return { podCIDR: this.pool.cidr, addressesInUse: this.pool.inUse, ready: this.networkReady() };
  }

  /** Ends the containers' exit timers (the runtime is dropped). */
  close(): void {
    for (const c of this.containers.values()) clearTimeout(c.timer);
  }

  // --- RuntimeService --------------------------------------------------------------------------

  version(opts?: CallOptions): Promise<VersionResponse> {
    return this.call('version', opts, () => ({ version: '0.1.0', runtimeName: this.o.runtimeName ?? 'fake', runtimeVersion: this.o.runtimeVersion ?? '0.1.0', runtimeApiVersion: 'v1' }));
  }

  status(_verbose = false, opts?: CallOptions): Promise<StatusResponse> {
    return this.call('status', opts, () => {
      const net = this.networkReady();
      return {
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true, reason: '', message: '' },
            { type: 'NetworkReady', status: net, reason: net ? '' : 'NetworkPluginNotReady', message: net ? '' : 'Network plugin returns error: cni plugin not initialized' },
          ],
        },
        info: {},
        runtimeHandlers: [{ name: '', features: { recursiveReadOnlyMounts: false, userNamespaces: false } }],
      };
    });
  }

  updateRuntimeConfig(podCidr: string, opts?: CallOptions): Promise<void> {
    return this.call('updateRuntimeConfig', opts, () => {
      // "a,b" for a dual-stack node: the IPv4 range is the one this runtime hands out from
      const v4 = podCidr.split(',').map((c) => c.trim()).find((c) => c && !c.includes(':'));
      if (!v4) return;
      let pool: IpPool;
      try {
        pool = new IpPool(v4);
      } catch (e) {
        throw this.error('updateRuntimeConfig', GrpcStatus.INVALID_ARGUMENT, (e as Error).message);
      }
      this.podCIDRGiven = true;
      if (pool.cidr === this.pool.cidr) return;
      // sandboxes keep their addresses; new ones come from the new range
      this.pool = pool;
      for (const s of this.sandboxes.values()) if (s.ip && s.state === 'SANDBOX_READY') pool.claim(s.ip);
    });
  }

  runPodSandbox(config: Input<PodSandboxConfig>, runtimeHandler = '', opts?: CallOptions): Promise<string> {
    return this.call('runPodSandbox', opts, () => {
      const m = config.metadata;
      if (!m?.name || !m.namespace || !m.uid) throw this.error('runPodSandbox', GrpcStatus.INVALID_ARGUMENT, 'sandbox config must include metadata with name, namespace and uid');
      const metadata = { name: m.name, namespace: m.namespace, uid: m.uid, attempt: m.attempt ?? 0 };
      const key = `sandbox/${metadata.name}_${metadata.namespace}_${metadata.uid}_${metadata.attempt}`;
      const id = this.newId();
      this.reserve('runPodSandbox', key, id, 'sandbox');
      const ns = config.linux?.securityContext?.namespaceOptions;
      const namespaces: NamespaceOption = { network: ns?.network ?? 'POD', pid: ns?.pid ?? 'CONTAINER', ipc: ns?.ipc ?? 'POD', targetId: ns?.targetId ?? '' };
      let ip = '';
      if (namespaces.network !== 'NODE') {
        const fail = (why: string) => {
          this.names.delete(key);
          return this.error('runPodSandbox', GrpcStatus.UNKNOWN, `failed to setup network for sandbox "${id}": ${why}`);
        };
        if (!this.networkReady()) throw fail('cni plugin not initialized');
        ip = this.pool.allocate() ?? '';
        if (!ip) throw fail(`plugin type="host-local" failed (add): failed to allocate for range 0: no IP addresses available in range set: ${this.pool.cidr}`);
      }
      this.sandboxes.set(id, {
        id, key, metadata, config: copy(config), state: 'SANDBOX_READY', createdAt: this.nowNs(), ip, namespaces,
        labels: labelsOf(config.labels), annotations: labelsOf(config.annotations), runtimeHandler,
      });
      return id;
    });
  }

  stopPodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    return this.call('stopPodSandbox', opts, () => {
      const s = this.sandbox('stopPodSandbox', podSandboxId);
      for (const c of this.containers.values()) if (c.info.podSandboxId === s.id && c.state === 'CONTAINER_RUNNING') this.finish(c, 137, 'Error');
      if (s.state === 'SANDBOX_READY' && s.ip) this.pool.release(s.ip);
      s.state = 'SANDBOX_NOTREADY';
    });
  }

  removePodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    return this.call('removePodSandbox', opts, () => {
      const s = this.sandboxes.get(podSandboxId);
      if (!s) return;
      for (const c of [...this.containers.values()]) if (c.info.podSandboxId === s.id) this.drop(c);
      if (s.state === 'SANDBOX_READY' && s.ip) this.pool.release(s.ip);
      this.names.delete(s.key);
      this.sandboxes.delete(s.id);
    });
  }

  podSandboxStatus(podSandboxId: string, _verbose = false, opts?: CallOptions): Promise<PodSandboxStatusResponse> {
    return this.call('podSandboxStatus', opts, () => {
      const s = this.sandbox('podSandboxStatus', podSandboxId);
      return { status: { ...sandboxView(s), network: { ip: s.ip, additionalIps: [] }, linux: { namespaces: { options: copy(s.namespaces) } } }, info: {} };
    });
  }

  listPodSandbox(filter?: Input<PodSandboxFilter>, opts?: CallOptions): Promise<PodSandbox[]> {
    return this.call('listPodSandbox', opts, () =>
      [...this.sandboxes.values()]
        .filter((s) => idMatches(s.id, filter?.id) && (!filter?.state?.state || s.state === filter.state.state) && matches(s.labels, filter?.labelSelector))
        .map((s) => sandboxView(s)),
    );
  }

  createContainer(podSandboxId: string, config: Input<ContainerConfig>, _sandboxConfig: Input<PodSandboxConfig>, opts?: CallOptions): Promise<string> {
    return this.call('createContainer', opts, () => {
      const s = this.sandboxes.get(podSandboxId);
      if (!s) throw this.error('createContainer', GrpcStatus.NOT_FOUND, `failed to find sandbox id "${podSandboxId}": not found`);
      if (s.state !== 'SANDBOX_READY') throw this.error('createContainer', GrpcStatus.UNKNOWN, `sandbox container "${s.id}" is not running`);
      if (!config.metadata?.name) throw this.error('createContainer', GrpcStatus.INVALID_ARGUMENT, 'container config must include metadata with a name');
      const imageName = config.image?.image ?? '';
      const image = imageName ? this.images.find(imageName) : undefined;
      if (!image) throw this.error('createContainer', GrpcStatus.NOT_FOUND, `failed to get image "${imageName}": not found`);
      const metadata = { name: config.metadata.name, attempt: config.metadata.attempt ?? 0 };
      const key = `container/${metadata.name}_${s.metadata.name}_${s.metadata.namespace}_${s.metadata.uid}_${metadata.attempt}`;
      const id = this.newId();
      this.reserve('createContainer', key, id, 'container');
      const logDir = s.config.logDirectory ?? '';
      const info: FakeContainerInfo = {
        id, podSandboxId: s.id, metadata, image: imageName, imageName: image.repoTags[0] ?? imageName, command: [...(config.command ?? [])] as string[], args: [...(config.args ?? [])] as string[],
        labels: labelsOf(config.labels), annotations: labelsOf(config.annotations), sandboxLabels: { ...s.labels },
      };
      this.containers.set(id, {
        info, key, imageRef: image.id, imageName: info.imageName, state: 'CONTAINER_CREATED', createdAt: this.nowNs(), startedAt: 0, finishedAt: 0,
        exitCode: 0, reason: '', logPath: logDir && config.logPath ? `${logDir}/${config.logPath}` : '',
        mounts: (config.mounts ?? []).map((m) => ({ containerPath: m?.containerPath ?? '', hostPath: m?.hostPath ?? '', readonly: !!m?.readonly, selinuxRelabel: !!m?.selinuxRelabel, propagation: m?.propagation ?? 'PROPAGATION_PRIVATE' })),
        resources: config.linux?.resources ? (copy(config.linux.resources) as LinuxContainerResources) : null,
        behaviour: {},
      });
      return id;
    });
  }

  startContainer(containerId: string, opts?: CallOptions): Promise<void> {
    return this.call('startContainer', opts, () => {
      const c = this.container('startContainer', containerId);
      if (c.state !== 'CONTAINER_CREATED') throw this.error('startContainer', GrpcStatus.UNKNOWN, `container is in ${c.state} state`);
      const s = this.sandboxes.get(c.info.podSandboxId);
      if (s?.state !== 'SANDBOX_READY') throw this.error('startContainer', GrpcStatus.UNKNOWN, `sandbox container "${c.info.podSandboxId}" is not running`);
      c.state = 'CONTAINER_RUNNING';
      c.startedAt = this.nowNs();
      c.behaviour = this.behaviour?.(copy(c.info)) ?? {};
      const after = c.behaviour.exitAfterMs;
      if (after !== undefined) {
        c.timer = setTimeout(() => c.state === 'CONTAINER_RUNNING' && this.finish(c, c.behaviour.exitCode ?? 0, (c.behaviour.exitCode ?? 0) === 0 ? 'Completed' : 'Error'), after);
        c.timer.unref();
      }
    });
  }

  stopContainer(containerId: string, timeoutSeconds: number, opts?: CallOptions): Promise<void> {
    return this.call('stopContainer', opts, async () => {
      const c = this.container('stopContainer', containerId);
      if (c.state !== 'CONTAINER_RUNNING') return;
      const graceMs = Math.max(0, timeoutSeconds) * 1000;
      const delay = c.behaviour.stopDelayMs ?? 0;
      const graceful = graceMs > 0 && delay <= graceMs;
      const waitMs = graceful ? delay : graceMs;
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs).unref());
      if (c.state === 'CONTAINER_RUNNING') this.finish(c, graceful ? 143 : 137, 'Error');
    });
  }

  removeContainer(containerId: string, opts?: CallOptions): Promise<void> {
    return this.call('removeContainer', opts, () => {
      const c = this.containers.get(containerId);
      if (c) this.drop(c);
    });
  }

  listContainers(filter?: Input<ContainerFilter>, opts?: CallOptions): Promise<Container[]> {
    return this.call('listContainers', opts, () =>
      [...this.containers.values()]
        .filter((c) => idMatches(c.info.id, filter?.id) && (!filter?.state?.state || c.state === filter.state.state) && idMatches(c.info.podSandboxId, filter?.podSandboxId) && matches(c.info.labels, filter?.labelSelector))
        .map((c) => containerView(c)),
    );
  }

  containerStatus(containerId: string, _verbose = false, opts?: CallOptions): Promise<ContainerStatusResponse> {
    return this.call('containerStatus', opts, () => {
      const c = this.container('containerStatus', containerId);
      return { status: containerStatusView(c), info: {} };
    });
  }

  updateContainerResources(containerId: string, linux: Input<LinuxContainerResources>, _annotations?: Labels, opts?: CallOptions): Promise<void> {
    return this.call('updateContainerResources', opts, () => {
      const c = this.container('updateContainerResources', containerId);
      c.resources = { ...(c.resources ?? {}), ...copy(linux) } as LinuxContainerResources;
    });
  }

  reopenContainerLog(containerId: string, opts?: CallOptions): Promise<void> {
    return this.call('reopenContainerLog', opts, () => {
      const c = this.container('reopenContainerLog', containerId);
      if (c.state !== 'CONTAINER_RUNNING') throw this.error('reopenContainerLog', GrpcStatus.UNKNOWN, 'container is not running');
    });
  }

  execSync(containerId: string, cmd: string[], _timeoutSeconds: number, opts?: CallOptions): Promise<ExecSyncResponse> {
    return this.call('execSync', opts, () => {
      const c = this.container('execSync', containerId);
      if (c.state !== 'CONTAINER_RUNNING') throw this.error('execSync', GrpcStatus.UNKNOWN, `container is in ${c.state} state`);
      const r = this.onExecSync?.(copy(c.info), [...cmd]) ?? { exitCode: 0 };
      return { stdout: Buffer.from(r.stdout ?? ''), stderr: Buffer.from(r.stderr ?? ''), exitCode: r.exitCode };
    });
  }

  exec(request: Input<ExecRequest>, opts?: CallOptions): Promise<string> {
    return this.call('exec', opts, () => this.noStreams('exec', this.container('exec', request.containerId ?? '').info.id));
  }

  attach(request: Input<AttachRequest>, opts?: CallOptions): Promise<string> {
    return this.call('attach', opts, () => this.noStreams('attach', this.container('attach', request.containerId ?? '').info.id));
  }

  portForward(podSandboxId: string, _ports: number[], opts?: CallOptions): Promise<string> {
    return this.call('portForward', opts, () => this.noStreams('portForward', this.sandbox('portForward', podSandboxId).id));
  }

  containerStats(containerId: string, opts?: CallOptions): Promise<ContainerStats | null> {
    return this.call('containerStats', opts, () => this.statsOf(this.container('containerStats', containerId)));
  }

  listContainerStats(filter?: Input<ContainerStatsFilter>, opts?: CallOptions): Promise<ContainerStats[]> {
    return this.call('listContainerStats', opts, () =>
      [...this.containers.values()]
        .filter((c) => idMatches(c.info.id, filter?.id) && idMatches(c.info.podSandboxId, filter?.podSandboxId) && matches(c.info.labels, filter?.labelSelector))
        .map((c) => this.statsOf(c)),
    );
  }

  // --- ImageService ----------------------------------------------------------------------------

  listImages(filter?: Input<ImageSpec>, opts?: CallOptions): Promise<Image[]> {
    return this.call('listImages', opts, () => this.images.list(filter?.image || undefined));
  }

  imageStatus(image: Input<ImageSpec>, _verbose = false, opts?: CallOptions): Promise<ImageStatusResponse> {
    return this.call('imageStatus', opts, () => {
      const rec = this.images.find(image.image ?? '');
      return { image: rec ? toImage(rec) : null, info: {} };
    });
  }

  pullImage(image: Input<ImageSpec>, _auth?: unknown, _sandboxConfig?: unknown, opts?: CallOptions): Promise<string> {
    return this.call('pullImage', opts, () => {
      const name = image.image ?? '';
      const id = name ? this.images.pull(name) : undefined;
      if (!id) throw this.error('pullImage', GrpcStatus.NOT_FOUND, `failed to pull and unpack image "${name}": not found`);
      return id;
    });
  }

  removeImage(image: Input<ImageSpec>, opts?: CallOptions): Promise<void> {
    return this.call('removeImage', opts, () => this.images.remove(image.image ?? ''));
  }

  imageFsInfo(opts?: CallOptions): Promise<ImageFsInfoResponse> {
    return this.call('imageFsInfo', opts, () => this.images.fsInfo(this.nowNs()));
  }

  // --- internals -------------------------------------------------------------------------------

  /** One call: recorded, delayed by its latency (deadline and signal honoured), injected failures, then `fn`. */
  private async call<T>(method: CriMethod, opts: CallOptions | undefined, fn: () => T | Promise<T>): Promise<T> {
    this.callCount++;
    if (this.o.recordCalls !== false) this.calls.push(method);
    const ms = this.latencyMs[method] ?? 0;
    const deadline = opts?.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : Infinity;
    if (opts?.signal?.aborted) throw this.error(method, GrpcStatus.CANCELLED, 'context canceled');
    if (ms > 0) await this.wait(method, Math.min(ms, deadline), opts?.signal);
    if (ms > deadline) throw this.error(method, GrpcStatus.DEADLINE_EXCEEDED, 'context deadline exceeded');
    if (this.unavailable) throw this.error(method, GrpcStatus.UNAVAILABLE, 'connection error: desc = "transport: Error while dialing: dial unix: connect: connection refused"');
    const injected = this.failures.get(method)?.shift();
    if (injected) throw injected;
    return fn();
  }

  private wait(method: CriMethod, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(t);
        reject(this.error(method, GrpcStatus.CANCELLED, 'context canceled'));
      };
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private error(method: string, code: number, details: string): CriError {
    return new CriError(rpcName(method), code, details);
  }

  private networkReady(): boolean {
    return !this.waitForPodCIDR || this.podCIDRGiven;
  }

  /** 64 hex digits, as containerd's ids (tools shorten them to a unique prefix) */
  private newId(): string {
    return randomBytes(32).toString('hex');
  }

  /** Nanoseconds since the epoch, strictly increasing (so creation order sorts). */
  private nowNs(): number {
    this.lastNs = Math.max(Date.now() * 1e6, this.lastNs + 1000);
    return this.lastNs;
  }

  private reserve(method: string, key: string, id: string, what: string): void {
    const holder = this.names.get(key);
    if (holder) throw this.error(method, GrpcStatus.UNKNOWN, `failed to reserve ${what} name "${key.slice(key.indexOf('/') + 1)}": name is reserved for "${holder}"`);
    this.names.set(key, id);
  }

  private sandbox(method: string, id: string): SandboxRecord {
    const s = this.sandboxes.get(id);
    if (!s) throw this.error(method, GrpcStatus.NOT_FOUND, `an error occurred when try to find sandbox "${id}": not found`);
    return s;
  }

  private container(method: string, id: string): ContainerRecord {
    const c = this.containers.get(id);
    if (!c) throw this.error(method, GrpcStatus.NOT_FOUND, `an error occurred when try to find container "${id}": not found`);
    return c;
  }

  private finish(c: ContainerRecord, exitCode: number, reason: string): void {
    clearTimeout(c.timer);
    c.state = 'CONTAINER_EXITED';
    c.exitCode = exitCode;
    c.reason = reason;
    c.finishedAt = this.nowNs();
  }

  private drop(c: ContainerRecord): void {
    clearTimeout(c.timer);
    this.names.delete(c.key);
    this.containers.delete(c.info.id);
  }

  private noStreams(method: string, _id: string): never {
    throw this.error(method, GrpcStatus.UNIMPLEMENTED, 'the fake runtime has no streaming server');
  }

  private statsOf(c: ContainerRecord): ContainerStats {
    return statsView(c, this.nowNs(), c.state === 'CONTAINER_RUNNING' ? this.usage?.(copy(c.info)) : undefined);
  }
}
