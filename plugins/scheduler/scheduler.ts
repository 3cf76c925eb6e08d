// The scheduler: informers feed the cache and the queue; one loop runs scheduling cycles, one pod
// at a time, against the cache only (never waiting on the store); binding cycles run
// asynchronously, up to `parallelBindings` at once, so the next scheduling cycle never waits for a
// binding.
//
// A scheduling cycle (after kube-scheduler's schedule_one.go):
//   snapshot the profile's policies (registry changes apply between cycles only)
//   PreFilter (may restrict the candidates, or Skip a policy's Filter)
//   Filter over the candidates, starting where the previous cycle stopped (round-robin) and
//     stopping once `numFeasibleNodesToFind` nodes fit (percentageOfNodesToScore; adaptive by
//     default: 50% - nodes/125, at least 5% and at least 100 nodes)
//   PostFilter (preemption) when nothing fits -> PodScheduled=False + FailedScheduling event,
//     unschedulableQ
//   PreScore, Score (or scoreBatch), NormalizeScore, weighted sum; the highest total wins; ties go
//     round-robin: a per-scheduler counter picks the (counter mod ties)-th tied node in iteration
//     order — deterministic for a given sequence of cycles, and it spreads equal pods
//   Reserve (assume into the cache), Permit
// The binding cycle: Permit waits (a Promise from permit), PreBind, Bind (pods/binding), PostBind;
// on failure: Unreserve, forget the assumed pod, back off, and report (unless someone else bound
// or deleted the pod: 409/404).
import type { Kernel, KObject, ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { SchedulerCache, type CachedNode } from './cache.ts';
import type { ClusterEvent, CycleState, PodInfo, PolicyStatus, PreFilterResult } from './framework.ts';
import { Informer } from './informer.ts';
import { isTerminal, podInfoOf } from './pod-info.ts';
import { DEFAULT_PROFILE, SchedulerPolicyRegistry, type PolicyEntry, type ProfilePolicies } from './policy-registry.ts';
import { SchedulingQueue, type QueuedPod } from './queue.ts';
import { FailureReporter, fitErrorMessage } from './reporter.ts';
import { code, CycleStateImpl, errorStatus, FrameworkRuntime, isPromise, isStatus, ok } from './runtime.ts';

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };

export interface SchedulerOptions {
  kernel: Kernel;
  /** share a registry (the plugin provides it to policy plugins); default: a new one */
  registry?: SchedulerPolicyRegistry;
  /** scheduler names (spec.schedulerName) served; default ['default-scheduler'] */
  profiles?: string[];
  /** 1..100; 0 or undefined: adaptive, like kube */
  percentageOfNodesToScore?: number;
  /** binding cycles in flight at most (default 256) */
  parallelBindings?: number;
  logger?: Logger;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxUnschedulableMs?: number;
  /** how long the loop may run cycles before letting I/O in (ms, default 4) */
  yieldEveryMs?: number;
}

export interface SchedulerStats {
  cycles: number;
  /** pods assumed (a node chosen) */
  scheduled: number;
  bound: number;
  bindFailures: number;
  unschedulable: number;
  errors: number;
}

class Failure extends Error {
  constructor(
    readonly status: PolicyStatus,
    readonly unschedulable: boolean,
  ) {
    super(status.reasons?.join(', ') || status.code);
  }
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly registry: SchedulerPolicyRegistry;
  readonly stats: SchedulerStats = { cycles: 0, scheduled: 0, bound: 0, bindFailures: 0, unschedulable: 0, errors: 0 };
  private readonly kernel: Kernel;
  private readonly logger?: Logger;
  private readonly reporter: FailureReporter;
  private readonly profiles: ReadonlySet<string>;
  private readonly parallelBindings: number;
  private readonly yieldEveryMs: number;
  private readonly nodeInformer: Informer;
  private readonly podInformer: Informer;
  private readonly registryListener: { dispose(): void };
  private readonly runtime: FrameworkRuntime;
  private bindingsInFlight = 0;
  private bindingWaiters: (() => void)[] = [];
  private bindingsIdle: (() => void)[] = [];
  private loopDone?: Promise<void>;
  private closed = false;
  private stopped = false;

  constructor(opts: SchedulerOptions) {
    this.kernel = opts.kernel;
    this.logger = opts.logger;
    this.registry = opts.registry ?? new SchedulerPolicyRegistry();
    this.profiles = new Set(opts.profiles && opts.profiles.length ? opts.profiles : [DEFAULT_PROFILE]);
    this.runtime = new FrameworkRuntime(this.cache, opts.percentageOfNodesToScore ?? 0);
    this.parallelBindings = Math.max(1, opts.parallelBindings ?? 256);
    this.yieldEveryMs = opts.yieldEveryMs ?? 4;
    this.queue = new SchedulingQueue({
      initialBackoffMs: opts.initialBackoffMs,
      maxBackoffMs: opts.maxBackoffMs,
      maxUnschedulableMs: opts.maxUnschedulableMs,
      mayHelp: (policy, event) => this.mayHelp(policy, event),
    });
    this.reporter = new FailureReporter(this.kernel, [...this.profiles][0], this.logger);
    this.registryListener = this.registry.onChange(() => this.policiesChanged());
    this.policiesChanged();
    this.nodeInformer = new Informer(this.kernel, NODES, {
      reset: (items) => this.resetNodes(items),
      event: (type, obj) => this.onNode(type, obj),
    }, this.logger);
    this.podInformer = new Informer(this.kernel, PODS, {
      reset: (items) => this.resetPods(items),
      event: (type, obj) => this.onPod(type, obj),
    }, this.logger);
  }

  /** Sync the informers (nodes first), then run the loop. Resolves once scheduling has begun. */
  async start(): Promise<void> {
    await this.nodeInformer.start();
    await this.podInformer.start();
    this.loopDone = this.loop().catch((e) => this.logger?.error('scheduling loop failed', { error: String(e) }));
  }

  /** Stop taking pods; resolve once in-flight bindings and reports have finished. */
  async drain(): Promise<void> {
    this.closed = true;
    this.queue.close();
    for (const w of this.bindingWaiters.splice(0)) w();
    await this.loopDone;
    if (this.bindingsInFlight > 0) await new Promise<void>((r) => this.bindingsIdle.push(r));
    await this.reporter.settled();
  }

  /** End everything (in-flight bindings are not waited for: call drain() first for that). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.closed = true;
    this.queue.close();
    for (const w of this.bindingWaiters.splice(0)) w();
    this.nodeInformer.stop();
    this.podInformer.stop();
    this.reporter.stop();
    this.registryListener.dispose();
  }

  get inFlightBindings(): number {
    return this.bindingsInFlight;
  }

  /** Resolves when no binding is in flight and no report pending (for tests). */
  async settled(): Promise<void> {
    if (this.bindingsInFlight > 0) await new Promise<void>((r) => this.bindingsIdle.push(r));
    await this.reporter.settled();
  }

  // ---------------------------------------------------------------------------------------------
  // informers

  private resetNodes(items: readonly KObject[]): void {
    this.cache.resetNodes([...items]);
    this.queue.onClusterEvent('NodeAdd');
  }

  private onNode(type: 'ADDED' | 'MODIFIED' | 'DELETED', node: KObject): void {
    const name = node.metadata.name!;
    if (type === 'DELETED') {
      this.cache.removeNode(name);
      this.queue.onClusterEvent('NodeDelete');
      return;
    }
    const prev = this.cache.node(name)?.node; // the object, before upsertNode replaces it
    this.cache.upsertNode(node);
    if (!prev) this.queue.onClusterEvent('NodeAdd');
    else if (nodeSchedulingChanged(prev, node)) this.queue.onClusterEvent('NodeUpdate');
  }

  private resetPods(items: readonly KObject[]): void {
    const bound: PodInfo[] = [];
    const seen = new Set<string>();
    for (const p of items) {
      const uid = p.metadata.uid!;
      seen.add(uid);
      const nodeName = (p.spec as { nodeName?: string } | undefined)?.nodeName;
      if (nodeName) {
        this.queue.delete(uid);
        if (!isTerminal(p)) bound.push(podInfoOf(p));
      } else {
        this.onPod('ADDED', p);
      }
    }
    for (const uid of this.queue.uids()) if (!seen.has(uid)) this.queue.delete(uid);
    this.cache.resetPods(bound);
    this.queue.onClusterEvent('PodDelete');
  }

  private onPod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: KObject): void {
    const uid = pod.metadata.uid!;
    if (type === 'DELETED') {
      this.queue.delete(uid);
      this.reporter.forget(uid);
      if (this.cache.nodeOf(uid) !== undefined) {
        this.cache.removePod(uid);
        this.queue.onClusterEvent('PodDelete');
      }
      return;
    }
    const spec = pod.spec as { nodeName?: string; schedulerName?: string } | undefined;
    if (spec?.nodeName) {
      // bound: out of the queue, into the cache (confirming an assumed pod)
      this.queue.delete(uid);
      this.reporter.forget(uid);
      if (isTerminal(pod)) {
        if (this.cache.nodeOf(uid) !== undefined) {
          this.cache.removePod(uid);
          this.queue.onClusterEvent('PodDelete');
        }
        return;
      }
      const before = this.cache.isAssumed(uid) ? undefined : this.cache.podInfo(uid);
      const info = podInfoOf(pod);
      this.cache.upsertBoundPod(info);
      // a bound pod's status updates (the node agent's) change nothing for scheduling
      if (!before) this.queue.onClusterEvent('PodAdd');
      else if (before.nodeName !== info.nodeName || !sameLabels(before.labels, info.labels)) this.queue.onClusterEvent('PodUpdate');
      return;
    }
    if (pod.metadata.deletionTimestamp || isTerminal(pod)) {
      this.queue.delete(uid);
      return;
    }
    if (!this.profiles.has(spec?.schedulerName || DEFAULT_PROFILE)) return;
    // assumed and its binding done: the watch will show it bound
    if (this.cache.nodeOf(uid) !== undefined && this.queue.location(uid) !== 'inflight') return;
    this.queue.addOrUpdate(podInfoOf(pod));
  }

  private policiesChanged(): void {
    const first = [...this.profiles][0];
    this.queue.setLess(this.registry.snapshot(first).queueSort?.policy.less?.bind(this.registry.snapshot(first).queueSort!.policy));
    // a new policy set may fit pods the old one did not
    this.queue.moveAllUnschedulable();
  }

  private mayHelp(policy: string, event: ClusterEvent): boolean {
    for (const profile of this.profiles) {
      const e = this.registry.snapshot(profile).byName.get(policy);
      if (e) return !e.events || e.events.has(event);
    }
    return true; // the policy is gone
  }

  // ---------------------------------------------------------------------------------------------
  // the loop

  private async loop(): Promise<void> {
    let last = performance.now();
    while (!this.closed) {
      if (this.bindingsInFlight >= this.parallelBindings) {
        await new Promise<void>((r) => this.bindingWaiters.push(r));
        continue;
      }
      let q = this.queue.tryPop();
      if (!q) {
        q = await this.queue.pop();
        if (!q) return;
        last = performance.now();
      }
      try {
        await this.scheduleOne(q);
      } catch (e) {
        this.stats.errors++;
        this.logger?.error('scheduling cycle failed', { pod: q.info.key, error: String(e) });
        this.queue.requeueBackoff(q);
      }
      if (performance.now() - last > this.yieldEveryMs) {
        await new Promise((r) => setImmediate(r));
        last = performance.now();
      }
    }
  }

  /** One scheduling cycle for `q` (public for tests and benchmarks that drive the queue themselves). */
  async scheduleOne(q: QueuedPod): Promise<void> {
    const pod = q.info;
    if (this.cache.nodeOf(pod.uid) !== undefined || !this.profiles.has(pod.schedulerName)) {
      this.queue.done(pod.uid);
      return;
    }
    const fw = this.registry.snapshot(pod.schedulerName);
    const state = new CycleStateImpl();
    this.stats.cycles++;
    this.cache.hold();
    try {
      await this.cycle(q, pod, fw, state);
    } finally {
      this.cache.release();
    }
  }

  private async cycle(q: QueuedPod, pod: PodInfo, fw: ProfilePolicies, state: CycleStateImpl): Promise<void> {
    const numAll = this.cache.nodeCount;
    // ---- PreFilter
    let restrict: Set<string> | undefined;
    let skip: Set<string> | undefined;
    for (const e of fw.preFilter) {
      let r: PreFilterResult | PolicyStatus | void;
      try {
        r = e.policy.preFilter!(state, pod, this.cache);
      } catch (err) {
        return this.failed(q, pod, errorStatus(e.name, err));
      }
      if (!r) continue;
      const st = isStatus(r) ? r : r.status;
      if (st && st.code === 'Skip') {
        (skip ??= new Set()).add(e.name);
        continue;
      }
      if (st && st.code !== 'Success') {
        const s = this.runtime.tag(st, e.name);
        if (st.code === 'Error') return this.failed(q, pod, s);
        const all = new Array<PolicyStatus>(numAll).fill(s);
        return this.unschedulable(q, pod, fitErrorMessage(numAll, all), new Set([e.name]));
      }
      const names = isStatus(r) ? undefined : r.nodeNames;
      if (names) restrict = restrict ? new Set([...restrict].filter((n) => names.has(n))) : new Set(names);
    }

    // ---- Filter
    const filters = skip ? fw.filter.filter((e) => !skip!.has(e.name)) : fw.filter;
    let candidates: readonly CachedNode[] = this.cache.nodeList();
    if (restrict) candidates = [...restrict].map((n) => this.cache.node(n) as CachedNode | undefined).filter((n): n is CachedNode => n !== undefined);
    const diagnosis = new Map<string, PolicyStatus>();
    const feasible = fw.hasBatchFilter
      ? await this.runtime.filterBatched(state, pod, candidates, filters, diagnosis, restrict === undefined)
      : this.runtime.filterNodes(state, pod, candidates, filters, diagnosis, restrict === undefined);

    if (feasible.length === 0) {
      const rejectedBy = new Set<string>();
      let error: PolicyStatus | undefined;
      for (const s of diagnosis.values()) {
        if (s.policy) rejectedBy.add(s.policy);
        if (s.code === 'Error') error ??= s;
      }
      if (error) return this.failed(q, pod, error);
      if (restrict) for (const e of fw.preFilter) rejectedBy.add(e.name);
      // ---- PostFilter (preemption)
      let nominated: string | undefined;
      const postMsgs: string[] = [];
      for (const e of fw.postFilter) {
        try {
          let r = e.policy.postFilter!(state, pod, diagnosis, this.cache);
          if (isPromise(r)) r = await r;
          if (r.status.reasons?.length) postMsgs.push(...r.status.reasons);
          if (r.status.code === 'Success') {
            nominated = r.nominatedNodeName;
            break;
          }
        } catch (err) {
          this.logger?.warn('postFilter failed', { policy: e.name, pod: pod.key, error: String(err) });
        }
      }
      const msg = fitErrorMessage(numAll, diagnosis.values(), postMsgs.length ? `preemption: ${postMsgs.join(' ')}` : undefined);
      return this.unschedulable(q, pod, msg, rejectedBy, nominated);
    }

    // ---- Score
    let chosen: CachedNode;
    if (feasible.length === 1 || fw.score.length === 0) {
      chosen = feasible.length === 1 ? feasible[0] : this.runtime.pickAmongEqual(feasible);
    } else {
      const picked = await this.runtime.score(state, pod, fw, feasible);
      if (isStatus(picked)) return this.failed(q, pod, picked);
      chosen = picked;
    }

    // ---- Reserve (assume) and Permit
    const nodeName = chosen.name;
    this.cache.assume(pod, nodeName);
    this.stats.scheduled++;
    for (const e of fw.reserve) {
      let s: PolicyStatus | void;
      try {
        s = e.policy.reserve!(state, pod, nodeName);
      } catch (err) {
        s = errorStatus(e.name, err);
      }
      if (!ok(s)) {
        this.unreserve(fw, state, pod, nodeName);
        const st = this.runtime.tag(s as PolicyStatus, e.name);
        if (st.code === 'Error') return this.failed(q, pod, st);
        return this.unschedulable(q, pod, fitErrorMessage(numAll, [st]), new Set([e.name]));
      }
    }
    let waits: PromiseLike<PolicyStatus | void>[] | undefined;
    for (const e of fw.permit) {
      let s: PolicyStatus | void | PromiseLike<PolicyStatus | void>;
      try {
        s = e.policy.permit!(state, pod, nodeName);
      } catch (err) {
        s = errorStatus(e.name, err);
      }
      if (isPromise(s)) {
        (waits ??= []).push(
          Promise.resolve(s).then(
            (x) => (x ? this.runtime.tag(x, e.name) : x),
            (err) => errorStatus(e.name, err),
          ),
        );
        continue;
      }
      if (s && s.code === 'Wait') {
        s = { code: 'Error', reasons: [`${e.name}: permit returned Wait without a Promise (return a Promise to wait)`] };
      }
      if (!ok(s)) {
        this.unreserve(fw, state, pod, nodeName);
        const st = this.runtime.tag(s as PolicyStatus, e.name);
        if (st.code === 'Error') return this.failed(q, pod, st);
        return this.unschedulable(q, pod, fitErrorMessage(numAll, [st]), new Set([e.name]));
      }
    }

    // ---- the binding cycle, without waiting for it
    this.bindingsInFlight++;
    void this.bindingCycle(q, pod, fw, state, nodeName, waits);
  }

  private unreserve(fw: ProfilePolicies, state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = fw.unreserve.length - 1; i >= 0; i--) {
      const e = fw.unreserve[i];
      try {
        e.policy.unreserve!(state, pod, nodeName);
      } catch (err) {
        this.logger?.warn('unreserve failed', { policy: e.name, pod: pod.key, error: String(err) });
      }
    }
    this.cache.forget(pod.uid);
    delete pod.nodeName;
  }

  private async bindingCycle(q: QueuedPod, pod: PodInfo, fw: ProfilePolicies, state: CycleState, nodeName: string, waits?: PromiseLike<PolicyStatus | void>[]): Promise<void> {
    try {
      if (waits) {
        for (const w of waits) {
          const s = await w;
          if (!ok(s)) throw new Failure(s as PolicyStatus, (s as PolicyStatus).code !== 'Error');
        }
      }
      for (const e of fw.preBind) {
        let s: PolicyStatus | void;
        try {
          const r = e.policy.preBind!(state, pod, nodeName);
          s = isPromise(r) ? await r : r;
        } catch (err) {
          s = errorStatus(e.name, err);
        }
        if (!ok(s)) throw new Failure(this.runtime.tag(s as PolicyStatus, e.name), false);
      }
      await this.kernel.create(
        PODS,
        { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
        { subresource: 'binding' },
      );
      this.stats.bound++;
      this.queue.done(pod.uid);
      for (const e of fw.postBind) {
        try {
          e.policy.postBind!(state, pod, nodeName);
        } catch (err) {
          this.logger?.warn('postBind failed', { policy: e.name, pod: pod.key, error: String(err) });
        }
      }
    } catch (err) {
      this.stats.bindFailures++;
      this.unreserve(fw, state, pod, nodeName);
      this.queue.onClusterEvent('PodDelete'); // the assumed pod's resources are free again
      const c = code(err);
      if (c === 409 || c === 404) {
        // someone else bound it, or it is gone: the watch will take it out of the queue
        this.queue.requeueBackoff(q);
      } else if (err instanceof Failure && err.unschedulable) {
        this.unschedulable(q, pod, fitErrorMessage(this.cache.nodeCount, [err.status]), new Set(err.status.policy ? [err.status.policy] : []));
      } else {
        const st = err instanceof Failure ? err.status : errorStatus('Bind', err);
        this.logger?.warn('binding failed', { pod: pod.key, node: nodeName, error: String(err) });
        this.failed(q, pod, { ...st, reasons: [`Binding rejected: ${(st.reasons ?? []).join(', ') || st.code}`] });
      }
    } finally {
      this.bindingsInFlight--;
      const w = this.bindingWaiters.shift();
      if (w) w();
      if (this.bindingsInFlight === 0) for (const r of this.bindingsIdle.splice(0)) r();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // outcomes

  /** No node fits: report, and wait in unschedulableQ for a helpful event. */
  private unschedulable(q: QueuedPod, pod: PodInfo, message: string, rejectedBy: ReadonlySet<string>, nominatedNodeName?: string): void {
    void pod;
    this.stats.unschedulable++;
    this.reporter.report(this.latest(q), message, nominatedNodeName);
    this.queue.requeueUnschedulable(q, rejectedBy);
  }

  /** An error: report it, retry after the backoff. */
  private failed(q: QueuedPod, pod: PodInfo, status: PolicyStatus): void {
    this.stats.errors++;
    const msg = (status.reasons ?? []).join(', ') || `${status.policy ?? 'scheduler'}: ${status.code}`;
    this.logger?.warn('scheduling error', { pod: pod.key, error: msg });
    this.reporter.report(this.latest(q), msg, undefined, 'SchedulerError');
    this.queue.requeueBackoff(q);
  }

  /** The newest version of the pod the queue knows (updates may have arrived during the cycle). */
  private latest(q: QueuedPod): PodInfo {
    return q.info;
  }

}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** Whether a Node update may change scheduling (not heartbeats): labels, spec, allocatable, images. */
function nodeSchedulingChanged(a: KObject, b: KObject): boolean {
  if (a === b) return false;
  const sa = (a.status ?? {}) as { allocatable?: unknown; capacity?: unknown; images?: unknown };
  const sb = (b.status ?? {}) as { allocatable?: unknown; capacity?: unknown; images?: unknown };
  return (
    JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) ||
    JSON.stringify(a.spec ?? {}) !== JSON.stringify(b.spec ?? {}) ||
    JSON.stringify(sa.allocatable ?? sa.capacity ?? {}) !== JSON.stringify(sb.allocatable ?? sb.capacity ?? {}) ||
    JSON.stringify(sa.images ?? []) !== JSON.stringify(sb.images ?? [])
  );
}
