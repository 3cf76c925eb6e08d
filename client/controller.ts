// The controller kit: a controller plugin is a reconcile function plus a short declaration of what
// it follows.
//
//   export default defineController({
//     name: 'replicaset-controller', version: '0.1.0',
//     for: REPLICA_SETS,                 // keys are "namespace/name" of these
//     owns: [{ ref: PODS }],             // a pod's change enqueues its controller (ownerReference)
//     setup(c) {                         // once, at start: informers, indexes, state
//       const pods = c.informer(PODS);
//       return async (key) => { ... };   // the reconcile function; throw to retry with back-off
//     },
//   });
//
// What the kit does: shared informers (one watch per kind per process), a rate-limited work queue
// with `workers` loops, leader election on one Lease shared by every controller of the process (so
// two servers never both act; only the leader's queues run), an event recorder, expectations, and
// a re-queue of every object whenever leadership is (re)gained (after the controller's onLeading
// hooks, which rebuild what must be read fresh from the store before acting).
import type { Kernel, KObject, ResourceRef } from '@skiff/kernel';
import { definePlugin, type JSONSchema, type Logger, type PluginContext, type PluginDescriptor } from '@skiff/kernel/plugins';
import { EventRecorder } from './event-recorder.ts';
import { Expectations } from './expectations.ts';
import { SharedInformerFactory } from './informer-factory.ts';
import { followLeadership, kitConfigSchema, type KitConfig, type Leadership } from './leadership.ts';
import type { InformerSelection, SharedInformer } from './shared-informer.ts';
import { objectKey } from './store.ts';
import { WorkQueue } from './work-queue.ts';

export { CONTROLLER_LEASE, type KitConfig } from './leadership.ts';

export interface ReconcileResult {
  /** handle the key again after this many ms (a timer, not an error) */
  requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

export interface OwnedKind {
  ref: ResourceRef;
  /** extra keys for an object without a controller (orphans a controller may adopt) */
  orphanKeys?(obj: KObject): string[];
}

export interface WatchedKind {
  ref: ResourceRef;
  selection?: InformerSelection;
  /** the keys (of the `for` kind) an object change concerns; `old` on updates */
  map(obj: KObject, old?: KObject): string[];
}

export interface ControllerRuntime<C = Record<string, unknown>> {
  readonly name: string;
  readonly kernel: Kernel;
  readonly logger: Logger;
  readonly config: C;
  readonly signal: AbortSignal;
  readonly recorder: EventRecorder;
  readonly expectations: Expectations;
  /** the shared informer of a kind (started; released when the controller stops) */
  informer<T extends KObject = KObject>(ref: ResourceRef, selection?: InformerSelection): SharedInformer<T>;
  /** handle `key` (or an object's key) soon */
  enqueue(keyOrObj: string | KObject): void;
  enqueueAfter(keyOrObj: string | KObject, ms: number): void;
  /** true while this process leads and reconciles run */
  readonly leading: boolean;
  /**
   * Run `fn` each time this process starts leading, before any reconcile (a failure is logged and
   * `fn` tried again after a second): to rebuild state that must be read fresh from the store.
   */
  onLeading(fn: () => Promise<void> | void): void;
  /** Figures of the controller's own, shown with the kit's in the plugin's runtime report (at once). */
  reportRuntime(stats: Record<string, unknown>): void;
  /** the plugin context (reportRuntime, resolve, ...) */
  readonly ctx: PluginContext<C>;
}

export interface ControllerSpec<C = Record<string, unknown>> {
  name: string;
  version: string;
  /** the kind reconciled */
  for: ResourceRef;
  owns?: OwnedKind[];
  watches?: WatchedKind[];
  /** default number of concurrent reconciles (config `workers` overrides) */
  workers?: number;
  /** the controller's own config (JSON Schema of an object; `workers` and `leaderElection` are added) */
  configSchema?: JSONSchema;
  requires?: string[];
  /** the component name on Events (default: name) */
  component?: string;
  setup(c: ControllerRuntime<C>): Reconcile | Promise<Reconcile>;
}

const toKey = (k: string | KObject) => (typeof k === 'string' ? k : objectKey(k));
const sameRef = (a: ResourceRef, apiVersion: string, kind: string, forKind: string) =>
  kind === forKind && apiVersion === (a.group ? `${a.group}/${a.version}` : a.version);

export function defineController<C = Record<string, unknown>>(spec: ControllerSpec<C>): PluginDescriptor<C & KitConfig> {
  const configSchema: JSONSchema = kitConfigSchema(spec.configSchema, spec.workers ?? 5);
  return definePlugin<C & KitConfig>({
    name: spec.name,
    version: spec.version,
    type: 'skiff.io/controller',
    requires: spec.requires,
    configSchema,
    async start(ctx) {
      const c = new ControllerInstance<C>(spec, ctx);
      await c.start();
      return { stop: () => c.stop(), drain: () => c.drain() };
    },
  });
}

class ControllerInstance<C> {
  private readonly factory: SharedInformerFactory;
  private readonly releases: (() => void)[] = [];
  private readonly informers = new Map<string, SharedInformer>();
  private queue?: WorkQueue;
  private workers?: Promise<void>;
  private reconcile?: Reconcile;
  private leadership?: Leadership;
  private readonly leadHooks: (() => Promise<void> | void)[] = [];
  private extraStats: Record<string, unknown> = {};
  private stopping = false;
  private readonly recorder: EventRecorder;
  private readonly expectations = new Expectations();
  private forKind = '';
  private primary?: SharedInformer;
  private stats = { reconciles: 0, errors: 0 };
  private statsTimer?: NodeJS.Timeout;

  constructor(
    private readonly spec: ControllerSpec<C>,
    private readonly ctx: PluginContext<C & KitConfig>,
  ) {
    this.factory = SharedInformerFactory.for(ctx.kernel, ctx.logger);
    this.recorder = new EventRecorder(ctx.kernel, spec.component ?? spec.name, ctx.logger);
  }

  async start(): Promise<void> {
    const { spec, ctx } = this;
    this.forKind = ctx.kernel.kindFor(spec.for).kind;
    const self = this;
    const runtime: ControllerRuntime<C> = {
      name: spec.name,
      kernel: ctx.kernel,
      logger: ctx.logger,
      config: ctx.config,
      signal: ctx.signal,
      recorder: this.recorder,
      expectations: this.expectations,
      informer: (ref, sel) => this.informer(ref, sel),
      enqueue: (k) => this.queue?.add(toKey(k)),
      enqueueAfter: (k, ms) => this.queue?.addAfter(toKey(k), ms),
      get leading() {
        return self.queue !== undefined;
      },
      onLeading: (fn) => void this.leadHooks.push(fn),
      reportRuntime: (stats) => {
        this.extraStats = stats;
        this.report();
      },
      ctx: ctx as unknown as PluginContext<C>,
    };
    // the reconciled kind: every change enqueues its key
    const primary = (this.primary = this.informer(spec.for));
    this.releases.push(
      primary.addEventHandler({
        onAdd: (o) => runtime.enqueue(o),
        onUpdate: (old, o) => old.metadata.resourceVersion !== o.metadata.resourceVersion && runtime.enqueue(o),
        onDelete: (o) => runtime.enqueue(o),
      }),
    );
    for (const owned of spec.owns ?? []) {
      const inf = this.informer(owned.ref);
      const route = (o: KObject) => {
        const key = this.ownerKey(o);
        if (key) runtime.enqueue(key);
        else if (owned.orphanKeys && !o.metadata.deletionTimestamp) for (const k of owned.orphanKeys(o)) runtime.enqueue(k);
      };
      this.releases.push(
        inf.addEventHandler({
          onAdd: route,
          onUpdate: (old, o) => {
            if (old.metadata.resourceVersion === o.metadata.resourceVersion) return;
            const a = this.ownerKey(old);
            const b = this.ownerKey(o);
            if (a && a !== b) runtime.enqueue(a); // released or moved to another owner
            route(o);
          },
          onDelete: route,
        }),
      );
    }
    for (const w of spec.watches ?? []) {
      const inf = this.informer(w.ref, w.selection);
      this.releases.push(
        inf.addEventHandler({
          onAdd: (o) => w.map(o).forEach((k) => runtime.enqueue(k)),
          onUpdate: (old, o) => old.metadata.resourceVersion !== o.metadata.resourceVersion && w.map(o, old).forEach((k) => runtime.enqueue(k)),
          onDelete: (o) => w.map(o).forEach((k) => runtime.enqueue(k)),
        }),
      );
    }
    this.reconcile = await spec.setup(runtime);
    await Promise.all([...this.informers.values()].map((i) => i.synced));
    this.leadership = followLeadership(ctx.kernel, ctx.config, ctx.logger, (leading) => (leading ? this.lead() : void this.follow()));
    this.statsTimer = setInterval(() => this.report(), 2000);
    this.statsTimer.unref();
  }

  private report(): void {
    this.ctx.reportRuntime({ ...this.stats, queue: this.queue?.length ?? 0, leading: this.queue !== undefined, ...this.extraStats });
  }

  /** The key of the `for` object that controls `o`, if any. */
  private ownerKey(o: KObject): string | undefined {
    const ref = o.metadata.ownerReferences?.find((r) => r.controller);
    if (!ref || !sameRef(this.spec.for, ref.apiVersion, ref.kind, this.forKind)) return undefined;
    const ns = o.metadata.namespace;
    return ns ? `${ns}/${ref.name}` : ref.name;
  }

  private informer<T extends KObject>(ref: ResourceRef, sel?: InformerSelection): SharedInformer<T> {
    const id = [ref.group, ref.version, ref.resource, sel?.namespace, sel?.labelSelector, sel?.fieldSelector].join('\0');
    let inf = this.informers.get(id);
    if (!inf) {
      const lease = this.factory.acquire(ref, sel);
      this.releases.push(lease.release);
      inf = lease.informer;
      this.informers.set(id, inf);
    }
    return inf as unknown as SharedInformer<T>;
  }

  private lead(): void {
    if (this.queue || this.stopping || this.ctx.signal.aborted) return;
    const q = (this.queue = new WorkQueue({ name: this.spec.name }));
    const log = this.ctx.logger;
    const work = () =>
      q.run(
        this.ctx.config.workers,
        async (key) => {
          this.stats.reconciles++;
          const r = await this.reconcile!(key);
          if (r?.requeueAfterMs !== undefined) q.addAfter(key, r.requeueAfterMs);
        },
        (key, e) => {
          this.stats.errors++;
          const code = (e as { code?: number }).code;
          // a conflict is routine (someone wrote first): retry quietly
          if (code === 409) log.debug('reconcile conflict; retrying', { key });
          else log.warn('reconcile failed; retrying', { key, error: e instanceof Error ? e.message : String(e) });
        },
      );
    this.workers = this.leadHooks.length ? this.runLeadHooks(q).then((ok) => (ok ? work() : undefined)) : work();
    // everything, as after a restart: the new leader makes no assumption about what the old one did
    for (const k of this.primary?.indexer.keys() ?? []) q.add(k);
  }

  /** The onLeading hooks, each retried until it succeeds; false when leadership ended meanwhile. */
  private async runLeadHooks(q: WorkQueue): Promise<boolean> {
    for (const hook of this.leadHooks) {
      for (;;) {
        if (this.queue !== q) return false;
        try {
          await hook();
          break;
        } catch (e) {
          this.ctx.logger.warn('starting to lead failed; retrying', { error: e instanceof Error ? e.message : String(e) });
          await new Promise((r) => setTimeout(r, 1000).unref());
        }
      }
    }
    return this.queue === q;
  }

  private async follow(): Promise<void> {
    const q = this.queue;
    if (!q) return;
    this.queue = undefined;
    q.shutDown();
    await this.workers;
  }

  /** A hot swap: the new version runs; this one finishes its work in flight and never leads again. */
  async drain(): Promise<void> {
    this.stopping = true;
    await this.follow();
  }

  async stop(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.stopping = true;
    // work in flight ends before the Lease is given up, so a successor never overlaps it
    await this.follow();
    await this.leadership?.release();
    for (const r of this.releases.splice(0)) r();
    await this.recorder.stop();
  }
}
