// The pods bound to this node, kept in step with the runtime (kubelet's pod workers + PLEG):
// one watch on the pods with spec.nodeName = this node; a relist of the runtime every second
// that notices containers exiting; one serial worker per pod that runs syncPod, writes the pod's
// status when it changed, and, for a pod being deleted, stops its containers within the grace
// period, removes them and deletes the pod for good. Pods the runtime has but the API does not
// (deleted while the agent was away) are killed. After a restart of the agent the running pods
// are found again by their labels and left running. With a device manager (skiff.io/device), a
// new pod's devices are allocated before it runs (admission: a pod the node cannot give them to
// fails with UnexpectedAdmissionError), and given back when the pod is gone or finished.
import { Informer, isStatusError, now, type Kernel, type KObject } from '@skiff/kernel';
import { EventRecorder } from '@skiff/client';
import type { Logger } from '@skiff/kernel/plugins';
import { managedByNode, type CriRuntime, type devices } from '@skiff/node-api';
import { admitPodDevices, podWantsDevices } from './devices.ts';
import { CrashLoopBackoff } from './backoff.ts';
import { Reason } from './events.ts';
import { ImageManager } from './images.ts';
import type { PodConfigurer } from './pod-configurer.ts';
import { podStatus, type PodSpecLike } from './pod-status.ts';
import { podIsDone, syncPod } from './pod-sync.ts';
import { Prober } from './prober.ts';
import { RuntimePods, type RuntimePod } from './runtime-pods.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const code = (e: unknown) => (isStatusError(e) ? e.code : undefined);

/** Whether two versions of a pod differ in anything but their status (and resourceVersion, managedFields). */
function differsBeyondStatus(a: KObject, b: KObject): boolean {
  const strip = (p: KObject) => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = p.metadata as Record<string, unknown>;
    return JSON.stringify([meta, p.spec]);
  };
  return strip(a) !== strip(b);
}

export interface PodManagerOptions {
  nodeName: string;
  hostIP: string;
  relistMs: number;
  resyncMs: number;
  backoffInitialMs: number;
  /** the node's device manager, when the agent runs one */
  devices?: devices.DeviceManager;
}

interface PodEntry {
  pod: KObject;
  running: boolean;
  again: boolean;
  timer?: NodeJS.Timeout;
  startTime: string;
  lastStatus?: string;
  podIP?: string;
  /** passed the kubelet's admission (devices allocated) */
  admitted?: boolean;
}

export class PodManager {
  private readonly pods = new Map<string, PodEntry>();
  private readonly runtimePods: RuntimePods;
  private runtime = new Map<string, RuntimePod>();
  private readonly images: ImageManager;
  private readonly backoff: CrashLoopBackoff;
  private readonly prober: Prober;
  private readonly unhealthy = new Map<string, string>();
  private informer?: Informer;
  private stopped = false;
  private listed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly killing = new Set<string>();
  private readonly events: EventRecorder;
  /** the runtime's name, the scheme of the containerIDs in pod status ("containerd://...") */
  private runtimeType = 'containerd';

  constructor(
    private readonly kernel: Kernel,
    private readonly cri: CriRuntime,
    private readonly config: PodConfigurer,
    private readonly opts: PodManagerOptions,
    private readonly logger: Logger,
  ) {
    this.runtimePods = new RuntimePods(cri, managedByNode(opts.nodeName));
    // a repeat (a sync retrying the same failure) bumps one Event's count
    this.events = new EventRecorder(kernel, 'kubelet', logger, { host: opts.nodeName });
    this.images = new ImageManager(cri);
    this.backoff = new CrashLoopBackoff({ initialMs: opts.backoffInitialMs, maxMs: 300_000 });
    this.prober = new Prober(cri, {
      changed: (uid) => this.enqueue(uid),
      failed: (uid, _name, id, kind) => {
        this.unhealthy.set(id, `failed ${kind} probe`);
        this.enqueue(uid);
      },
      unhealthy: (uid, kind, message) => {
        const entry = this.pods.get(uid);
        const Kind = kind[0].toUpperCase() + kind.slice(1);
        if (entry) this.events.record(entry.pod, { type: 'Warning', reason: Reason.Unhealthy, message: `${Kind} probe failed: ${message}` });
      },
    });
  }

  async start(): Promise<void> {
    this.runtimeType = (await this.cri.version().catch(() => undefined))?.runtimeName || this.runtimeType;
    this.runtime = await this.runtimePods.list();
    this.informer = new Informer(
      this.kernel,
      PODS,
      { reset: (items) => this.resetPods(items), event: (type, pod) => (type === 'DELETED' ? this.onGone(pod.metadata.uid!) : this.onPod(pod)) },
      { fieldSelector: `spec.nodeName=${this.opts.nodeName}`, logger: this.logger, retryMs: 1_000 },
    );
    void this.informer.start();
    this.timers.push(setInterval(() => void this.relist(), this.opts.relistMs));
    this.timers.push(setInterval(() => { for (const uid of this.pods.keys()) this.enqueue(uid); }, this.opts.resyncMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.informer?.stop();
    for (const t of this.timers) clearInterval(t);
    for (const e of this.pods.values()) if (e.timer) clearTimeout(e.timer);
    this.prober.stop();
    await this.informer?.done;
    await this.events.stop();
  }

  /** The full list of this node's pods (first list, every re-list): pods missing from it are gone. */
  private resetPods(items: readonly KObject[]): void {
    const seen = new Set<string>();
    for (const p of items) {
      seen.add(p.metadata.uid!);
      this.onPod(p);
    }
    for (const uid of [...this.pods.keys()]) if (!seen.has(uid)) this.onGone(uid);
    // devices held (in the checkpoint) by pods this node no longer has, in the API or the runtime
    if (!this.listed) for (const uid of this.opts.devices?.allocatedPods() ?? []) if (!seen.has(uid) && !this.runtime.has(uid)) void this.releaseDevices(uid);
    this.listed = true;
    this.killOrphans();
  }

  private onPod(pod: KObject): void {
    const uid = pod.metadata.uid!;
    const e = this.pods.get(uid);
    if (e) {
      const before = e.pod;
      e.pod = pod;
      // a change of status only (this kubelet's own writes, the scheduler's condition) needs no
      // sync, as kubelet's pod config ignores it: a sync would only record its Events again
      if (!differsBeyondStatus(before, pod)) return;
    } else {
      const startTime = (pod.status as { startTime?: string } | undefined)?.startTime ?? now();
      this.pods.set(uid, { pod, running: false, again: false, startTime });
    }
    this.enqueue(uid);
  }

  /** The pod object is gone from the API: whatever still runs of it is killed. */
  private onGone(uid: string): void {
    const e = this.pods.get(uid);
    this.pods.delete(uid);
    if (e?.timer) clearTimeout(e.timer);
    this.backoff.forgetPod(uid);
    this.images.forgetPod(uid);
    void this.killPod(uid, 0, e?.pod).finally(() => this.releaseDevices(uid));
  }

  private killOrphans(): void {
    for (const uid of this.runtime.keys()) if (!this.pods.has(uid)) void this.killPod(uid, 2).finally(() => this.releaseDevices(uid));
  }

  /** The runtime's state again; pods whose containers changed get synced. */
  private async relist(): Promise<void> {
    if (this.stopped) return;
    let next: Map<string, RuntimePod>;
    try {
      next = await this.runtimePods.list();
    } catch (e) {
      this.logger.warn('runtime relist failed', { error: String(e) });
      return;
    }
    const sig = (p?: RuntimePod) => (p ? JSON.stringify([p.sandboxes.map((s) => [s.id, s.state]), p.containers.map((c) => [c.id, c.status.state])]) : '');
    const before = this.runtime;
    this.runtime = next;
    for (const uid of new Set([...before.keys(), ...next.keys()])) if (sig(before.get(uid)) !== sig(next.get(uid)) && this.pods.has(uid)) this.enqueue(uid);
    this.prober.retain(new Set([...next.values()].flatMap((p) => p.containers.filter((c) => c.status.state === 'CONTAINER_RUNNING').map((c) => c.id))));
    if (this.listed) this.killOrphans();
  }

  private enqueue(uid: string, afterMs = 0): void {
    const e = this.pods.get(uid);
    if (!e || this.stopped) return;
    if (afterMs > 0) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = setTimeout(() => {
        e.timer = undefined;
        this.enqueue(uid);
      }, afterMs);
      return;
    }
    if (e.running) {
      e.again = true;
      return;
    }
    e.running = true;
    void this.work(uid, e);
  }

  private async work(uid: string, e: PodEntry): Promise<void> {
    try {
      do {
        e.again = false;
        await this.sync(uid, e).catch((err) => {
          this.logger.warn('pod sync failed; retrying', { pod: `${e.pod.metadata.namespace}/${e.pod.metadata.name}`, error: String(err) });
          this.enqueue(uid, 2_000);
        });
      } while (e.again && !this.stopped && this.pods.get(uid) === e);
    } finally {
      e.running = false;
    }
  }

  private async sync(uid: string, e: PodEntry): Promise<void> {
    const pod = e.pod;
    if (pod.metadata.deletionTimestamp) return this.terminate(uid, e);
    const rp = this.runtime.get(uid);
    if (podIsDone(pod, rp)) {
      // finished: the sandbox (and its network) goes, the containers stay for their logs
      for (const s of rp?.sandboxes ?? []) if (s.state === 'SANDBOX_READY') await this.cri.stopPodSandbox(s.id).catch(() => {});
      await this.releaseDevices(uid);
      return;
    }
    if (!e.admitted) {
      // a pod new to the node (nothing of it in the runtime) is admitted first: its devices
      const dm = this.opts.devices;
      if (dm && !rp && podWantsDevices(pod)) {
        const rejected = await admitPodDevices(pod, dm);
        if (rejected) return this.reject(e, rejected.reason, rejected.message);
      }
      e.admitted = true;
    }
    const r = await syncPod(pod, rp, {
      cri: this.cri,
      images: this.images,
      backoff: this.backoff,
      config: this.config,
      event: (p, type, reason, message) => this.events.record(p, { type, reason, message }),
      unhealthy: this.unhealthy,
    });
    if (r.podIP) e.podIP = r.podIP;
    let now = rp;
    if (r.changed || r.change.removed.length || r.change.removedSandboxes.length) {
      // what this sync changed, read back (not the pod's whole runtime state listed again)
      now = await this.runtimePods.refresh(uid, rp, r.change, { name: pod.metadata.name!, namespace: pod.metadata.namespace ?? 'default' });
      if (now) this.runtime.set(uid, now);
    }
    for (const c of now?.containers ?? []) {
      if (c.status.state !== 'CONTAINER_RUNNING' || c.sandboxId !== r.sandboxId) continue;
      const spec = ((pod.spec as { containers?: { name: string }[] }).containers ?? []).find((x) => x.name === c.name);
      if (spec && c.kind === 'app') this.prober.ensure({ podUid: uid, container: spec as never, containerId: c.id, podIP: r.podIP || this.opts.hostIP });
    }
    await this.writeStatus(uid, e, now, r.waiting);
    if (r.retryInMs !== undefined) this.enqueue(uid, Math.max(r.retryInMs, 10));
  }

  private async writeStatus(uid: string, e: PodEntry, rp: RuntimePod | undefined, waiting: Map<string, { reason: string; message?: string }>): Promise<void> {
    const pod = e.pod;
    const hostNetwork = (pod.spec as { hostNetwork?: boolean }).hostNetwork === true;
    const status = podStatus({
      pod: { spec: pod.spec as unknown as PodSpecLike, status: pod.status as Record<string, unknown> },
      runtime: rp,
      waiting,
      ready: (id) => this.prober.ready(id),
      started: (id) => this.prober.started(id),
      hostIP: this.opts.hostIP,
      podIP: hostNetwork ? this.opts.hostIP : e.podIP,
      startTime: e.startTime,
      qosClass: this.config.qosClass(pod),
      runtimeType: this.runtimeType,
    });
    const key = JSON.stringify(status, (k, v) => (k === 'lastTransitionTime' ? undefined : v));
    if (key === e.lastStatus) return;
    try {
      const updated = await this.kernel.patch(PODS, pod.metadata.namespace, pod.metadata.name!, 'merge', { status }, { subresource: 'status' });
      e.lastStatus = key;
      if (updated.metadata.uid === uid) e.pod = updated;
      // finished: the next pass lets the sandbox go (podIsDone reads the phase just written)
      if (status.phase === 'Succeeded' || status.phase === 'Failed') this.enqueue(uid);
    } catch (err) {
      if (code(err) !== 404) throw err;
    }
  }

  /** The pod failed the kubelet's admission: it never runs (kubelet's rejectPod). */
  private async reject(e: PodEntry, reason: string, message: string): Promise<void> {
    const pod = e.pod;
    this.events.record(pod, { type: 'Warning', reason, message });
    const status = { phase: 'Failed', reason, message: `Pod was rejected: ${message}`, startTime: e.startTime };
    try {
      const updated = await this.kernel.patch(PODS, pod.metadata.namespace, pod.metadata.name!, 'merge', { status }, { subresource: 'status' });
      if (updated.metadata.uid === pod.metadata.uid) e.pod = updated;
    } catch (err) {
      if (code(err) !== 404) throw err;
    }
  }

  private async releaseDevices(uid: string): Promise<void> {
    await this.opts.devices?.release(uid).catch((err) => this.logger.warn('devices not released', { podUid: uid, error: String(err) }));
  }

  /** Graceful termination: stop within the grace period, remove, then delete the pod object for good. */
  private async terminate(uid: string, e: PodEntry): Promise<void> {
    const pod = e.pod;
    const grace = (pod.metadata.deletionGracePeriodSeconds as number | undefined) ?? this.config.gracePeriod(pod);
    await this.killPod(uid, grace, pod);
    try {
      await this.kernel.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      if (code(err) !== 404 && code(err) !== 409) throw err;
    }
  }

  /**
   * Stop every container of the pod within `graceSeconds`, then its sandboxes; remove them all.
   * With the pod object at hand, each container stopped is a Killing event ("Stopping container c").
   */
  private async killPod(uid: string, graceSeconds: number, pod?: KObject): Promise<void> {
    if (this.killing.has(uid)) return;
    this.killing.add(uid);
    try {
      const rp = (await this.runtimePods.list(uid)).get(uid);
      if (!rp) return;
      const live = rp.containers.filter((c) => c.status.state !== 'CONTAINER_EXITED');
      if (pod) for (const c of live) this.events.record(pod, { type: 'Normal', reason: Reason.Killing, message: `Stopping container ${c.name}` });
      await Promise.all(live.map((c) => this.cri.stopContainer(c.id, graceSeconds).catch(() => {})));
      for (const s of rp.sandboxes) await this.cri.stopPodSandbox(s.id).catch(() => {});
      for (const c of rp.containers) {
        await this.cri.removeContainer(c.id).catch(() => {});
        this.runtimePods.forget(c.id);
      }
      for (const s of rp.sandboxes) await this.cri.removePodSandbox(s.id).catch(() => {});
      await this.config.cleanup(uid).catch(() => {});
      this.runtime.delete(uid);
    } finally {
      this.killing.delete(uid);
    }
  }
}
