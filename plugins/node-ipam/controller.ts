// Node IPAM, like kube-controller-manager's range allocator: every Node gets a block of the cluster
// CIDR as `spec.podCIDR` / `spec.podCIDRs`.
//  - At start (and after every re-list) the podCIDRs nodes already have are marked used before
//    anything is handed out, so a restart never hands out a block twice.
//  - A Node without a podCIDR gets the first free block, written with a compare-and-set update
//    (the resourceVersion it was read at); on 409 it is read again and retried — unless it got a
//    podCIDR meanwhile, which is then taken as it is.
//  - A deleted Node frees its block.
//  - A podCIDR outside the cluster CIDR, not IPv4, or clashing with another node's is left alone:
//    a warning and an Event on the Node. Blocks a podCIDR covers stay used even then.
//  - Range full: a warning and an Event; retried every `retryMs`, and as soon as a block is freed.
// One write at a time (a node's allocation takes one update).
import { Informer, type Kernel, type KObject, type ResourceRef } from '@skiff/kernel';
import type { ObjectEvent } from '@skiff/client';
import type { Logger, PluginEvent } from '@skiff/kernel/plugins';
import { RangeAllocator, type OccupyResult } from './allocator.ts';
import { SerialQueue } from './serial-queue.ts';

export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };
const MAX_CONFLICTS = 5;

export interface NodeIpamOptions {
  clusterCIDR: string;
  nodeCIDRMaskSize: number;
  /** how often nodes left without a block (range full, failed writes) are tried again */
  retryMs: number;
  /** fieldManager of the writes */
  component?: string;
}

export interface NodeIpamSinks {
  /** an Event about a Node */
  nodeEvent(node: KObject, ev: ObjectEvent): void;
  /** an Event about the controller itself (ctx.recordEvent) */
  pluginEvent?(ev: PluginEvent): void;
  /** runtime figures (ctx.reportRuntime) */
  runtime?(stats: Record<string, unknown>): void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const code = (e: unknown) => (e as { code?: number })?.code;

/** The node's podCIDR: spec.podCIDR, else the first of spec.podCIDRs, else undefined. */
export function podCIDROf(node: KObject): string | undefined {
  const spec = isObj(node.spec) ? node.spec : {};
  if (typeof spec.podCIDR === 'string' && spec.podCIDR) return spec.podCIDR;
  const list = Array.isArray(spec.podCIDRs) ? spec.podCIDRs : [];
  return typeof list[0] === 'string' && list[0] ? list[0] : undefined;
}

export class NodeIpamController {
  readonly allocator: RangeAllocator;
  private readonly nodes = new Map<string, KObject>();
  private readonly retry = new Set<string>();
  /** the last problem reported per node (reported once until it changes) */
  private readonly reported = new Map<string, string>();
  private readonly queue: SerialQueue;
  private informer?: Informer;
  private timer?: NodeJS.Timeout;
  private exhausted = false;
  private stopped = false;
  readonly stats = { allocated: 0, released: 0, conflicts: 0, failures: 0 };

  constructor(
    private readonly kernel: Kernel,
    private readonly opts: NodeIpamOptions,
    private readonly logger: Logger,
    private readonly sinks: NodeIpamSinks,
  ) {
    this.allocator = new RangeAllocator(opts.clusterCIDR, opts.nodeCIDRMaskSize);
    this.queue = new SerialQueue((name) => this.reconcile(name), (name, e) => {
      this.logger.warn('pod CIDR allocation failed; will retry', { node: name, error: String(e) });
      this.retry.add(name);
    });
  }

  /** Start; resolves once the existing nodes have been listed and their podCIDRs marked used. */
  start(): Promise<void> {
    this.informer = new Informer(this.kernel, NODES, {
      reset: (items) => this.reset(items),
      event: (type, obj) => (type === 'DELETED' ? this.deleted(obj) : this.observed(obj)),
    }, { logger: this.logger, retryMs: 1_000 });
    this.timer = setInterval(() => this.retryNow(), this.opts.retryMs);
    this.timer.unref();
    return this.informer.start();
  }

  /** Resolves when no allocation is queued or in flight. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.informer?.stop();
    await Promise.all([this.queue.stop(), this.informer?.done]);
  }

  private reset(items: readonly KObject[]): void {
    const present = new Set(items.map((n) => n.metadata.name!));
    for (const name of [...this.nodes.keys()]) if (!present.has(name)) this.deleted(this.nodes.get(name)!);
    // every podCIDR in use first, then the nodes that need one
    for (const n of items) {
      this.nodes.set(n.metadata.name!, n);
      if (podCIDROf(n)) this.occupy(n);
    }
    for (const n of items) if (!podCIDROf(n)) this.queue.add(n.metadata.name!);
    this.report();
  }

  private observed(node: KObject): void {
    const name = node.metadata.name!;
    this.nodes.set(name, node);
    if (podCIDROf(node)) this.occupy(node);
    else this.queue.add(name);
    this.report();
  }

  private deleted(node: KObject): void {
    const name = node.metadata.name!;
    this.nodes.delete(name);
    this.retry.delete(name);
    this.reported.delete(name);
    const had = this.allocator.heldBy(name).length > 0;
    this.allocator.release(name);
    if (had) {
      this.stats.released++;
      this.logger.info('node deleted; its pod CIDR is free again', { node: name, podCIDR: podCIDROf(node) });
      if (this.retry.size) this.retryNow(); // nodes waiting for a block may get this one
    }
    this.report();
  }

  /** Mark the node's podCIDR used; warn (once) when it is outside the cluster CIDR, invalid or clashes. */
  private occupy(node: KObject): OccupyResult {
    const name = node.metadata.name!;
    const cidr = podCIDROf(node)!;
    this.retry.delete(name);
    const r = this.allocator.occupy(name, cidr);
    if (r.kind === 'ok') {
      this.reported.delete(name);
      return r;
    }
    // hollow nodes (skiff sim) number their own simulated pod CIDRs, thousands of them: the blocks
    // inside the range stay used, but what lies outside or overlaps is no problem worth an Event
    if (node.metadata.annotations?.['skiff.io/hollow'] === 'true') return r;
    const cluster = this.opts.clusterCIDR;
    const [reason, message] =
      r.kind === 'invalid'
        ? ['InvalidPodCIDR', `Node ${name} has podCIDR "${cidr}", which is not an IPv4 CIDR; it is left as it is`]
        : r.kind === 'outside'
          ? ['PodCIDROutsideClusterCIDR', `Node ${name} has podCIDR ${r.cidr}, which is not inside the cluster CIDR ${cluster}; it is left as it is`]
          : ['PodCIDRConflict', `Node ${name} has podCIDR ${r.cidr}, which node(s) ${r.with.join(', ')} also use; it is left as it is`];
    this.problem(node, reason, message);
    return r;
  }

  /** Allocate and write a podCIDR for a node that has none. */
  private async reconcile(name: string): Promise<void> {
    let node = this.nodes.get(name);
    if (this.stopped || !node || podCIDROf(node) || node.metadata.deletionTimestamp) return;
    const cidr = this.allocator.allocate(name);
    if (!cidr) {
      this.retry.add(name);
      const size = this.allocator.size;
      this.problem(node, 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable (all ${size} /${this.opts.nodeCIDRMaskSize} blocks of ${this.opts.clusterCIDR} are in use)`);
      if (!this.exhausted) {
        this.exhausted = true;
        this.sinks.pluginEvent?.({ type: 'Warning', reason: 'CIDRRangeExhausted', message: `all ${size} pod CIDR blocks of ${this.opts.clusterCIDR} are in use; nodes wait for one to be freed` });
      }
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const spec = isObj(node.spec) ? node.spec : {};
      try {
        await this.kernel.update(NODES, { ...node, spec: { ...spec, podCIDR: cidr, podCIDRs: [cidr] } }, { fieldManager: this.opts.component ?? 'node-ipam' });
        this.stats.allocated++;
        this.reported.delete(name);
        this.logger.info('allocated a pod CIDR', { node: name, podCIDR: cidr });
        this.report();
        return;
      } catch (e) {
        if (code(e) === 409 && attempt < MAX_CONFLICTS && !this.stopped) {
          this.stats.conflicts++;
          try {
            node = await this.kernel.get(NODES, undefined, name);
          } catch (e2) {
            if (code(e2) !== 404) throw e2;
            this.allocator.release(name);
            return; // deleted meanwhile: the watch will say so
          }
          if (podCIDROf(node)) {
            this.occupy(node); // somebody else gave it one: take it as it is
            return;
          }
          continue;
        }
        this.allocator.release(name);
        if (code(e) === 404) return;
        this.stats.failures++;
        this.retry.add(name);
        this.problem(node, 'CIDRAssignmentFailed', `Node ${name}: could not write podCIDR ${cidr}: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
  }

  private retryNow(): void {
    if (this.stopped || this.retry.size === 0) return;
    const names = [...this.retry];
    this.retry.clear();
    for (const n of names) this.queue.add(n);
  }

  /** Log and record an Event, once per node until the problem changes. */
  private problem(node: KObject, reason: string, message: string): void {
    const name = node.metadata.name!;
    const key = `${reason}\0${message}`;
    if (this.reported.get(name) === key) return;
    this.reported.set(name, key);
    this.logger.warn(message, { node: name, reason });
    this.sinks.nodeEvent(node, { type: 'Warning', reason, message });
  }

  private report(): void {
    if (this.exhausted && this.allocator.used < this.allocator.size) this.exhausted = false;
    this.sinks.runtime?.({ blocksUsed: this.allocator.used, blocksTotal: this.allocator.size, nodes: this.nodes.size, waiting: this.retry.size, ...this.stats });
  }
}
