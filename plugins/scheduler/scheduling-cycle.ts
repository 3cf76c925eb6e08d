// The scheduling cycle (after kube-scheduler's schedule_one.go), run for one pod at a time against
// the cache only:
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
//   Reserve (assume into the cache), Permit, then hand the pod to a binding cycle (binding-cycle.ts)
//     without waiting for it.
// Also the outcomes of a failed cycle (unschedulable: report and park; error: report and back off),
// which binding cycles use too.
import type { Logger } from '@skiff/kernel/plugins';
import type { BindingCycles } from './binding-cycle.ts';
import type { CachedNode, SchedulerCache } from './cache.ts';
import type { PodInfo, PolicyStatus, PreFilterResult } from './framework.ts';
import type { ProfilePolicies, SchedulerPolicyRegistry } from './policy-registry.ts';
import type { QueuedPod, SchedulingQueue } from './queue.ts';
import { type FailureReporter, fitErrorMessage } from './reporter.ts';
import { CycleStateImpl, errorStatus, type FrameworkRuntime, isPromise, isStatus, ok } from './runtime.ts';
import type { SchedulerStats } from './scheduler.ts';

export interface SchedulingCycleDeps {
  cache: SchedulerCache;
  queue: SchedulingQueue;
  registry: SchedulerPolicyRegistry;
  runtime: FrameworkRuntime;
  profiles: ReadonlySet<string>;
  reporter: FailureReporter;
  bindings: BindingCycles;
  /** the scheduler's stats (shared, counted here) */
  stats: SchedulerStats;
  logger?: Logger;
}

export class SchedulingCycle {
  private readonly cache: SchedulerCache;
  private readonly queue: SchedulingQueue;
  private readonly registry: SchedulerPolicyRegistry;
  private readonly runtime: FrameworkRuntime;
  private readonly profiles: ReadonlySet<string>;
  private readonly reporter: FailureReporter;
  private readonly bindings: BindingCycles;
  private readonly stats: SchedulerStats;
  private readonly logger?: Logger;

  constructor(deps: SchedulingCycleDeps) {
    this.cache = deps.cache;
    this.queue = deps.queue;
    this.registry = deps.registry;
    this.runtime = deps.runtime;
    this.profiles = deps.profiles;
    this.reporter = deps.reporter;
    this.bindings = deps.bindings;
    this.stats = deps.stats;
    this.logger = deps.logger;
  }

  /** One scheduling cycle for `q`. */
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
        this.bindings.unreserve(fw, state, pod, nodeName);
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
        this.bindings.unreserve(fw, state, pod, nodeName);
        const st = this.runtime.tag(s as PolicyStatus, e.name);
        if (st.code === 'Error') return this.failed(q, pod, st);
        return this.unschedulable(q, pod, fitErrorMessage(numAll, [st]), new Set([e.name]));
      }
    }

    // ---- the binding cycle, without waiting for it
    this.bindings.start(q, pod, fw, state, nodeName, waits);
  }

  // ---------------------------------------------------------------------------------------------
  // outcomes

  /** No node fits: report, and wait in unschedulableQ for a helpful event. */
  unschedulable(q: QueuedPod, pod: PodInfo, message: string, rejectedBy: ReadonlySet<string>, nominatedNodeName?: string): void {
    void pod;
    this.stats.unschedulable++;
    this.reporter.report(this.latest(q), message, nominatedNodeName);
    this.queue.requeueUnschedulable(q, rejectedBy);
  }

  /** An error: report it, retry after the backoff. */
  failed(q: QueuedPod, pod: PodInfo, status: PolicyStatus): void {
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
