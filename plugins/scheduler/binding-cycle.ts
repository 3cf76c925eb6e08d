// Binding cycles: after a scheduling cycle assumes a pod onto a node, its binding cycle runs
// asynchronously — Permit waits (the Promises permit returned), PreBind, Bind (pods/binding),
// PostBind, and the Scheduled Event (queued). On failure: Unreserve, forget the assumed pod, and
// hand the pod back to the scheduler's outcomes (back off and report, unless someone else bound or
// deleted the pod: 409/404). Also keeps the bindings-in-flight count the scheduling loop throttles on.
import type { Kernel, ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import type { SchedulerCache } from './cache.ts';
import type { CycleState, PodInfo, PolicyStatus } from './framework.ts';
import type { ProfilePolicies } from './policy-registry.ts';
import type { QueuedPod, SchedulingQueue } from './queue.ts';
import { fitErrorMessage } from './reporter.ts';
import { code, errorStatus, type FrameworkRuntime, isPromise, ok } from './runtime.ts';

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };

class Failure extends Error {
  constructor(
    readonly status: PolicyStatus,
    readonly unschedulable: boolean,
  ) {
    super(status.reasons?.join(', ') || status.code);
  }
}

/** Where a failed binding's pod goes (the scheduler's outcomes). */
export interface BindingOutcomes {
  unschedulable(q: QueuedPod, pod: PodInfo, message: string, rejectedBy: ReadonlySet<string>): void;
  failed(q: QueuedPod, pod: PodInfo, status: PolicyStatus): void;
}

export interface BindingCyclesDeps {
  kernel: Kernel;
  cache: SchedulerCache;
  queue: SchedulingQueue;
  runtime: FrameworkRuntime;
  /** the scheduler's stats: `bound` and `bindFailures` are counted here */
  stats: { bound: number; bindFailures: number };
  outcomes: BindingOutcomes;
  /** told of every successful bind (the Scheduled Event); must not block */
  bound?(pod: PodInfo, nodeName: string): void;
  logger?: Logger;
}

export class BindingCycles {
  private bindingsInFlight = 0;
  private bindingWaiters: (() => void)[] = [];
  private bindingsIdle: (() => void)[] = [];

  constructor(private readonly deps: BindingCyclesDeps) {}

  get inFlight(): number {
    return this.bindingsInFlight;
  }

  /** Resolves when a binding cycle ends (or wakeWaiters is called). */
  slotFreed(): Promise<void> {
    return new Promise<void>((r) => this.bindingWaiters.push(r));
  }

  /** Resolves when no binding is in flight (call only while inFlight > 0). */
  idle(): Promise<void> {
    return new Promise<void>((r) => this.bindingsIdle.push(r));
  }

  /** Release everyone waiting in slotFreed (on close). */
  wakeWaiters(): void {
    for (const w of this.bindingWaiters.splice(0)) w();
  }

  /** Start the binding cycle for an assumed pod, without waiting for it. */
  start(q: QueuedPod, pod: PodInfo, fw: ProfilePolicies, state: CycleState, nodeName: string, waits?: PromiseLike<PolicyStatus | void>[]): void {
    this.bindingsInFlight++;
    void this.bindingCycle(q, pod, fw, state, nodeName, waits);
  }

  /** Unreserve (in reverse order), then forget the assumed pod. */
  unreserve(fw: ProfilePolicies, state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = fw.unreserve.length - 1; i >= 0; i--) {
      const e = fw.unreserve[i];
      try {
        e.policy.unreserve!(state, pod, nodeName);
      } catch (err) {
        this.deps.logger?.warn('unreserve failed', { policy: e.name, pod: pod.key, error: String(err) });
      }
    }
    this.deps.cache.forget(pod.uid);
    delete pod.nodeName;
  }

  private async bindingCycle(q: QueuedPod, pod: PodInfo, fw: ProfilePolicies, state: CycleState, nodeName: string, waits?: PromiseLike<PolicyStatus | void>[]): Promise<void> {
    const { kernel, cache, queue, runtime, stats, outcomes, logger } = this.deps;
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
        if (!ok(s)) throw new Failure(runtime.tag(s as PolicyStatus, e.name), false);
      }
      await kernel.create(
        PODS,
        { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
        { subresource: 'binding' },
      );
      stats.bound++;
      queue.done(pod.uid);
      this.deps.bound?.(pod, nodeName);
      for (const e of fw.postBind) {
        try {
          e.policy.postBind!(state, pod, nodeName);
        } catch (err) {
          logger?.warn('postBind failed', { policy: e.name, pod: pod.key, error: String(err) });
        }
      }
    } catch (err) {
      stats.bindFailures++;
      this.unreserve(fw, state, pod, nodeName);
      queue.onClusterEvent('PodDelete'); // the assumed pod's resources are free again
      const c = code(err);
      if (c === 409 || c === 404) {
        // someone else bound it, or it is gone: the watch will take it out of the queue
        queue.requeueBackoff(q);
      } else if (err instanceof Failure && err.unschedulable) {
        outcomes.unschedulable(q, pod, fitErrorMessage(cache.nodeCount, [err.status]), new Set(err.status.policy ? [err.status.policy] : []));
      } else {
        const st = err instanceof Failure ? err.status : errorStatus('Bind', err);
        logger?.warn('binding failed', { pod: pod.key, node: nodeName, error: String(err) });
        outcomes.failed(q, pod, { ...st, reasons: [`Binding rejected: ${(st.reasons ?? []).join(', ') || st.code}`] });
      }
    } finally {
      this.bindingsInFlight--;
      const w = this.bindingWaiters.shift();
      if (w) w();
      if (this.bindingsInFlight === 0) for (const r of this.bindingsIdle.splice(0)) r();
    }
  }
}
