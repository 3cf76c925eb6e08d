// The garbage collector's loop: the graph is kept from the shared informers (monitors.ts) in every
// process, leader or not; the work queue (the client's WorkQueue: de-duplicated, rate-limited
// retries) runs only while this process leads on the controllers' shared Lease. On leading, every
// object that may need work is queued (the new leader assumes nothing about what the old one did).
// Every `resyncSeconds`: kinds registered since are followed, and deletions waiting on the collector
// are queued again (in case an event was missed).
import { followLeadership, WorkQueue, type KitConfig, type Leadership } from '@skiff/client';
import type { Kernel, KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { AbsentOwners, FOREGROUND, Graph, type GraphNode, type KindKey, ORPHAN, sameOwners } from './graph.ts';
import { Monitors } from './monitors.ts';
import { Collector } from './reconcile.ts';

export interface GarbageCollectorConfig extends KitConfig {
  resyncSeconds: number;
}

/** How long a start waits for the first lists before it acts anyway (kube waits a resync period). */
const SYNC_TIMEOUT_MS = 10_000;

const waitsOnCollector = (n: GraphNode) => n.deleting && (n.finalizers.includes(ORPHAN) || n.finalizers.includes(FOREGROUND));

export class GarbageCollector {
  readonly graph = new Graph();
  private readonly monitors: Monitors;
  private readonly collector: Collector;
  private queue?: WorkQueue;
  private workers?: Promise<void>;
  private leadership?: Leadership;
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private readonly stats = { processed: 0, errors: 0 };

  constructor(
    private readonly kernel: Kernel,
    private readonly config: GarbageCollectorConfig,
    private readonly logger: Logger,
    private readonly report: (stats: Record<string, unknown>) => void = () => {},
  ) {
    this.collector = new Collector(kernel, this.graph, new AbsentOwners(), (uid) => this.queue?.add(uid), logger);
    this.monitors = new Monitors(kernel, { seen: (k, o) => this.seen(k, o), gone: (uid) => this.gone(uid) }, logger);
  }

  async start(): Promise<void> {
    this.monitors.sync();
    if (!(await this.monitors.synced(SYNC_TIMEOUT_MS))) this.logger.warn('not every kind could be listed; collecting anyway');
    this.leadership = followLeadership(this.kernel, this.config, this.logger, (leading) => (leading ? this.lead() : void this.follow()));
    this.timer = setInterval(() => this.resync(), this.config.resyncSeconds * 1000);
    this.timer.unref();
    this.reportNow();
  }

  get leading(): boolean {
    return this.queue !== undefined;
  }

  /** Resolves when nothing is queued or being collected. */
  idle(): Promise<void> {
    return this.queue?.idle() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.follow();
    await this.leadership?.release();
    this.monitors.stop();
  }

  /** A dependent is looked at when it appears or its owners change; an owner when it waits on us. */
  private seen(kind: KindKey, obj: KObject): void {
    const r = this.graph.upsert(kind, obj);
    if (!r) return;
    const { node, previous } = r;
    const ownersChanged = !previous || !sameOwners(previous.owners, node.owners);
    if ((node.owners.length > 0 && ownersChanged) || waitsOnCollector(node)) this.queue?.add(node.uid);
    // an owner deleting in the foreground waits on changes to its dependents
    this.enqueueDeletingOwners(node, previous);
  }

  private gone(uid: string): void {
    const old = this.graph.remove(uid);
    if (!old) return;
    this.collector.observedGone(old);
    for (const dep of this.graph.dependents(uid)) this.queue?.add(dep.uid);
    this.enqueueDeletingOwners(old);
  }

  private enqueueDeletingOwners(...nodes: (GraphNode | undefined)[]): void {
    if (!this.queue) return;
    for (const n of nodes) for (const r of n?.owners ?? []) if (this.graph.get(r.uid)?.deleting) this.queue.add(r.uid);
  }

  private lead(): void {
    if (this.queue || this.stopping) return;
    const q = (this.queue = new WorkQueue({ name: 'garbage-collector' }));
    this.workers = q.run(
      this.config.workers,
      async (uid) => {
        this.stats.processed++;
        // a kind not served (yet): looked at again once kinds are synced
        if ((await this.collector.process(uid)) === 'retry') q.addAfter(uid, this.config.resyncSeconds * 1000);
      },
      (uid, e) => {
        this.stats.errors++;
        if (this.stopping) return;
        const n = this.graph.get(uid);
        this.logger.warn('garbage collection failed; will retry', { uid, name: n?.name, namespace: n?.namespace, kind: n?.kind.kind, error: String(e) });
      },
    );
    for (const n of this.graph.all()) if (n.owners.length > 0 || waitsOnCollector(n)) q.add(n.uid);
    this.logger.info('garbage collector leading', { objects: this.graph.size, queued: q.length, kinds: this.monitors.resources.length });
    this.reportNow();
  }

  private async follow(): Promise<void> {
    const q = this.queue;
    if (!q) return;
    this.queue = undefined;
    q.shutDown();
    await this.workers;
    this.reportNow();
  }

  private resync(): void {
    if (this.stopping) return;
    try {
      this.monitors.sync();
    } catch (e) {
      this.logger.warn('listing kinds failed', { error: String(e) });
    }
    if (this.queue) for (const n of this.graph.all()) if (waitsOnCollector(n)) this.queue.add(n.uid);
    this.reportNow();
  }

  private reportNow(): void {
    this.report({ ...this.stats, objects: this.graph.size, kinds: this.monitors.resources.length, queue: this.queue?.length ?? 0, leading: this.leading });
  }
}
