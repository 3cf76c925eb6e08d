// The scheduler: informers feed the cache and the queue; one loop runs scheduling cycles, one pod
// at a time, against the cache only (never waiting on the store); binding cycles run
// asynchronously, up to `parallelBindings` at once, so the next scheduling cycle never waits for a
// binding.
//
// The Scheduler class owns the lifecycle (start/drain/stop) and the loop; the pieces it wires up:
//   cluster-events.ts    informer and registry events -> the cache and the queue
//   scheduling-cycle.ts  one scheduling cycle (PreFilter .. Permit) and its outcomes
//   binding-cycle.ts     the asynchronous binding cycles and the bindings-in-flight count
import { Informer, type Kernel, type ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { BindingCycles } from './binding-cycle.ts';
import { SchedulerCache } from './cache.ts';
import { ClusterEvents } from './cluster-events.ts';
import { DEFAULT_PROFILE, SchedulerPolicyRegistry } from './policy-registry.ts';
import { SchedulingQueue, type QueuedPod } from './queue.ts';
import { FailureReporter } from './reporter.ts';
import { FrameworkRuntime } from './runtime.ts';
import { ScheduledEvents } from './scheduled-events.ts';
import { SchedulingCycle } from './scheduling-cycle.ts';

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

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly registry: SchedulerPolicyRegistry;
  readonly stats: SchedulerStats = { cycles: 0, scheduled: 0, bound: 0, bindFailures: 0, unschedulable: 0, errors: 0 };
  private readonly kernel: Kernel;
  private readonly logger?: Logger;
  private readonly reporter: FailureReporter;
  private readonly scheduledEvents: ScheduledEvents;
  private readonly profiles: ReadonlySet<string>;
  private readonly parallelBindings: number;
  private readonly yieldEveryMs: number;
  private readonly nodeInformer: Informer;
  private readonly podInformer: Informer;
  private readonly registryListener: { dispose(): void };
  private readonly eventListener: { dispose(): void };
  private readonly runtime: FrameworkRuntime;
  private readonly events: ClusterEvents;
  private readonly bindings: BindingCycles;
  private readonly cycles: SchedulingCycle;
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
      mayHelp: (policy, event) => this.events.mayHelp(policy, event),
    });
    this.reporter = new FailureReporter(this.kernel, [...this.profiles][0], this.logger);
    // Scheduled events wait while there is scheduling to do (bindings go first)
    this.scheduledEvents = new ScheduledEvents(this.kernel, this.logger, { busy: () => this.bindings.inFlight > 0 || this.queue.stats().active > 0 });
    this.events = new ClusterEvents(this.cache, this.queue, this.registry, this.profiles, this.reporter);
    this.bindings = new BindingCycles({
      kernel: this.kernel,
      cache: this.cache,
      queue: this.queue,
      runtime: this.runtime,
      stats: this.stats,
      outcomes: {
        unschedulable: (q, pod, message, rejectedBy) => this.cycles.unschedulable(q, pod, message, rejectedBy),
        failed: (q, pod, status) => this.cycles.failed(q, pod, status),
      },
      bound: (pod, nodeName) => this.scheduledEvents.bound(pod, nodeName),
      logger: this.logger,
    });
    this.cycles = new SchedulingCycle({
      cache: this.cache,
      queue: this.queue,
      registry: this.registry,
      runtime: this.runtime,
      profiles: this.profiles,
      reporter: this.reporter,
      bindings: this.bindings,
      stats: this.stats,
      logger: this.logger,
    });
    this.registryListener = this.registry.onChange(() => this.events.policiesChanged());
    this.events.policiesChanged();
    // changes the volume policies see (claims, volumes): pods they rejected may fit now
    this.eventListener = this.registry.onClusterEvent((e) => this.queue.onClusterEvent(e));
    this.nodeInformer = new Informer(this.kernel, NODES, {
      reset: (items) => this.events.resetNodes(items),
      event: (type, obj) => this.events.onNode(type, obj),
    }, { logger: this.logger });
    this.podInformer = new Informer(this.kernel, PODS, {
      reset: (items) => this.events.resetPods(items),
      event: (type, obj) => this.events.onPod(type, obj),
    }, { logger: this.logger });
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
    this.bindings.wakeWaiters();
    await this.loopDone;
    if (this.bindings.inFlight > 0) await this.bindings.idle();
    await this.reporter.settled();
    // the Scheduled events still waiting get a little time, not a say in how long a drain takes
    await Promise.race([this.scheduledEvents.flush(), new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.scheduledEvents.stop();
  }

  /** End everything (in-flight bindings are not waited for: call drain() first for that). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.closed = true;
    this.queue.close();
    this.bindings.wakeWaiters();
    this.nodeInformer.stop();
    this.podInformer.stop();
    this.reporter.stop();
    void this.scheduledEvents.stop();
    this.registryListener.dispose();
    this.eventListener.dispose();
  }

  get inFlightBindings(): number {
    return this.bindings.inFlight;
  }

  /** Resolves when no binding is in flight and no report or Event pending (for tests). */
  async settled(): Promise<void> {
    if (this.bindings.inFlight > 0) await this.bindings.idle();
    await this.reporter.settled();
    await this.scheduledEvents.flush();
  }

  // ---------------------------------------------------------------------------------------------
  // the loop

  private async loop(): Promise<void> {
    let last = performance.now();
    while (!this.closed) {
      if (this.bindings.inFlight >= this.parallelBindings) {
        await this.bindings.slotFreed();
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
  scheduleOne(q: QueuedPod): Promise<void> {
    return this.cycles.scheduleOne(q);
  }
}
