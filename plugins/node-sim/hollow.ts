// Hollow nodes (like kwok): many simulated nodes in one process over one Kernel — in process or
// the bus client, it cannot tell. Per node: a Node (registered, adopted on restart), its Lease in
// kube-node-lease renewed every leaseIntervalSeconds, and an occasional status heartbeat. For the
// pods bound to these nodes (one watch on all bound pods, filtered here): a status write that makes
// them Running, and the final grace-0 delete once they are marked for deletion. No containers, no
// network: every address is data only.
import { isStatusError, type Kernel, type KObject, type Watch, type WatchEvent } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { expandNodes, resolveConfig, type HollowNodesConfig, type NodeSpec } from './config.ts';
import {
  HOLLOW_LABEL,
  LEASES,
  LEASE_NAMESPACE,
  NAMESPACES,
  NODES,
  PODS,
  adoptNode,
  hostPart,
  leaseObject,
  nodeConditions,
  nodeIP,
  nodeObject,
  nodeStatus,
  nowMicro,
  nowSeconds,
  podCIDRBase,
  podIP,
  runningPodStatus,
} from './objects.ts';

const code = (e: unknown) => (isStatusError(e) ? e.code : (e as { code?: unknown })?.code);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

const silent: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};

/** At most `max` tasks at a time, the rest wait in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  get pending(): number {
    return this.active + this.waiting.length;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((r) => this.waiting.push(r)); // the slot is handed over
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Calls `fn(i)` for i in 0..count-1 once per period, evenly spread: with 5,000 items and 10 s that
 * is 500 calls a second in small steps, never a burst. A stalled event loop catches up at most one
 * round.
 */
class SpreadTicker {
  private readonly timer: NodeJS.Timeout;
  private readonly epoch = Date.now();
  private cursor = 0;
  constructor(
    private readonly count: () => number,
    private readonly periodMs: number,
    private readonly fn: (i: number) => void,
    tickMs = 20,
  ) {
    this.timer = setInterval(() => this.tick(), Math.max(5, Math.min(tickMs, periodMs / 4)));
    this.timer.unref();
  }
  private tick(): void {
    const n = this.count();
    if (n === 0) return;
    const target = Math.floor(((Date.now() - this.epoch) * n) / this.periodMs);
    if (target - this.cursor > n) this.cursor = target - n;
    while (this.cursor < target) this.fn(this.cursor++ % n);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

interface NodeState {
  spec: NodeSpec;
  hostIP: string;
  podBase: number;
  uid?: string;
  registered: boolean;
  transition: string;
  leaseBusy: boolean;
  statusBusy: boolean;
  /** host parts (2..254) of the pod IPs in use */
  ipsUsed: Set<number>;
  ipNext: number;
}

export interface HollowNodesStats {
  nodes: number;
  registered: number;
  /** nodes adopted (already existed) at registration */
  adopted: number;
  leaseRenewals: number;
  nodeHeartbeats: number;
  podsStarted: number;
  podsDeleted: number;
  /** pods on these nodes currently known as running */
  podsRunning: number;
  errors: number;
}

export interface StopOptions {
  /** delete the Nodes and Leases (default: config.deleteNodesOnStop) */
  deleteNodes?: boolean;
}

export class HollowNodes {
  readonly config: HollowNodesConfig;
  private readonly nodes: NodeState[];
  private readonly byName = new Map<string, NodeState>();
  private readonly logger: Logger;
  private stopped = false;
  private readonly tickers: SpreadTicker[] = [];
  private podWatch?: Watch;
  private podLoop?: Promise<void>;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly registerLimit: Limiter;
  private readonly leaseLimit: Limiter;
  private readonly podLimit: Limiter;
  /** pod uid → its latest object, while queued */
  private readonly podPending = new Map<string, KObject>();
  /** pod uids being processed (a newer event is queued behind, not run alongside) */
  private readonly podBusy = new Set<string>();
  /** running pods: uid → node name and IP host part (released on delete) */
  private readonly running = new Map<string, { node: string; host: number }>();
  /** pods whose final delete was sent */
  private readonly finishing = new Set<string>();
  private readonly counters = { adopted: 0, leaseRenewals: 0, nodeHeartbeats: 0, podsStarted: 0, podsDeleted: 0, errors: 0 };

  constructor(
    private readonly kernel: Kernel,
    config: Partial<HollowNodesConfig> = {},
    logger?: Logger,
  ) {
    this.config = resolveConfig(config);
    this.logger = logger ?? silent;
    this.nodes = expandNodes(this.config).map((spec) => ({
      spec,
      hostIP: nodeIP(spec.index),
      podBase: podCIDRBase(spec.index),
      registered: false,
      transition: nowSeconds(),
      leaseBusy: false,
      statusBusy: false,
      ipsUsed: new Set(),
      ipNext: 2,
    }));
    for (const n of this.nodes) this.byName.set(n.spec.name, n);
    this.registerLimit = new Limiter(this.config.registerConcurrency);
    this.leaseLimit = new Limiter(this.config.leaseConcurrency);
    this.podLimit = new Limiter(this.config.podConcurrency);
  }

  private readonly logged = new Map<string, { at: number; suppressed: number }>();

  /** Per-node failures come in waves (the server is away): one line per kind every 5 s, with a count. */
  private warnThrottled(kind: string, msg: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    const l = this.logged.get(kind);
    if (l && now - l.at < 5000) {
      l.suppressed++;
      return;
    }
    this.logger.warn(msg, l?.suppressed ? { ...fields, suppressedSinceLast: l.suppressed } : fields);
    this.logged.set(kind, { at: now, suppressed: 0 });
  }

  /** Names of the simulated nodes. */
  get nodeNames(): string[] {
    return this.nodes.map((n) => n.spec.name);
  }

  stats(): HollowNodesStats {
    return {
      nodes: this.nodes.length,
      registered: this.nodes.reduce((k, n) => k + (n.registered ? 1 : 0), 0),
      ...this.counters,
      podsRunning: this.running.size,
    };
  }

  /**
   * Register every node (create, or adopt what a previous run left), then keep leases and status
   * fresh. The pod watch starts first, so pods bound to a node while the rest are still registering
   * start right away. Resolves when all nodes are registered.
   */
  async start(): Promise<void> {
    const t0 = Date.now();
    await this.ensureLeaseNamespace();
    this.podLoop = this.watchPods();
    const [existingNodes, existingLeases] = await Promise.all([
      this.kernel.list(NODES, { labelSelector: `${HOLLOW_LABEL}=hollow` }),
      this.kernel.list(LEASES, { namespace: LEASE_NAMESPACE }),
    ]);
    const nodeMap = new Map(existingNodes.items.map((o) => [o.metadata.name!, o]));
    const leaseSet = new Set(existingLeases.items.map((o) => o.metadata.name!));
    await Promise.all(this.nodes.map((n) => this.registerLimit.run(() => this.register(n, nodeMap.get(n.spec.name), leaseSet.has(n.spec.name)))));
    if (this.stopped) return;
    const c = this.config;
    this.tickers.push(new SpreadTicker(() => this.nodes.length, c.leaseIntervalSeconds * 1000, (i) => this.renewLease(this.nodes[i]!)));
    if (c.nodeStatusIntervalSeconds > 0)
      this.tickers.push(new SpreadTicker(() => this.nodes.length, c.nodeStatusIntervalSeconds * 1000, (i) => this.heartbeat(this.nodes[i]!), 100));
    this.logger.info('hollow nodes registered', { nodes: this.nodes.length, adopted: this.counters.adopted, ms: Date.now() - t0 });
  }

  /** End watches and timers, wait for in-flight writes, and (optionally) delete the Nodes and Leases. */
  async stop(opts: StopOptions = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.tickers) t.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.podWatch?.stop();
    await this.podLoop?.catch(() => {});
    await Promise.race([Promise.allSettled([...this.inflight]), sleep(10_000)]);
    if (opts.deleteNodes ?? this.config.deleteNodesOnStop) {
      const limit = new Limiter(this.config.registerConcurrency);
      await Promise.all(
        this.nodes.map((n) =>
          limit.run(async () => {
            for (const [ref, ns] of [[LEASES, LEASE_NAMESPACE], [NODES, undefined]] as const) {
              await this.kernel.delete(ref, ns, n.spec.name).catch((e) => {
                if (code(e) !== 404) this.logger.warn('delete failed', { node: n.spec.name, resource: ref.resource, error: String(e) });
              });
            }
            n.registered = false;
          }),
        ),
      );
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => {});
    return p;
  }

  private async ensureLeaseNamespace(): Promise<void> {
    try {
      await this.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NAMESPACE } });
    } catch (e) {
      if (code(e) !== 409) throw e;
    }
  }

  // ---- nodes

  private async register(n: NodeState, existing: KObject | undefined, leaseExists: boolean): Promise<void> {
    if (this.stopped) return;
    const s = n.spec;
    try {
      let node: KObject | undefined;
      if (!existing) {
        try {
          n.transition = nowSeconds();
          node = await this.kernel.create(NODES, nodeObject(s));
        } catch (e) {
          if (code(e) !== 409) throw e;
          existing = await this.kernel.get(NODES, undefined, s.name);
        }
      }
      if (existing) {
        this.counters.adopted++;
        node = await this.kernel.update(NODES, adoptNode(existing, s));
        const ready = ((existing.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] })?.conditions ?? []).find(
          (c) => c.type === 'Ready',
        );
        n.transition = ready?.status === 'True' && ready.lastTransitionTime ? ready.lastTransitionTime : nowSeconds();
      }
      n.uid = node!.metadata.uid;
      await this.kernel.update(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: s.name }, status: nodeStatus(s, n.transition) }, { subresource: 'status' });
      await this.writeLease(n, leaseExists);
      n.registered = true;
    } catch (e) {
      this.counters.errors++;
      this.warnThrottled('register', 'node registration failed; retrying', { node: s.name, error: String(e) });
      if (!this.stopped) this.timers.add(setTimeout(() => void this.registerLimit.run(() => this.register(n, undefined, false)), 2000).unref());
    }
  }

  /** Create the lease, or take over an existing one (holder, owner, renewTime). */
  private async writeLease(n: NodeState, exists: boolean): Promise<void> {
    const lease = leaseObject(n.spec, n.uid, this.config.leaseDurationSeconds);
    if (!exists) {
      try {
        await this.kernel.create(LEASES, lease);
        return;
      } catch (e) {
        if (code(e) !== 409) throw e;
      }
    }
    await this.kernel.patch(LEASES, LEASE_NAMESPACE, n.spec.name, 'merge', { metadata: { ownerReferences: lease.metadata.ownerReferences ?? null }, spec: lease.spec });
  }

  private renewLease(n: NodeState): void {
    if (this.stopped || !n.registered || n.leaseBusy) return;
    n.leaseBusy = true;
    const renew = async () => {
      try {
        await this.kernel.patch(LEASES, LEASE_NAMESPACE, n.spec.name, 'merge', {
          spec: { holderIdentity: n.spec.name, leaseDurationSeconds: this.config.leaseDurationSeconds, renewTime: nowMicro() },
        });
        this.counters.leaseRenewals++;
      } catch (e) {
        if (this.stopped) return;
        this.counters.errors++;
        if (code(e) === 404) {
          // the lease (or the node with it) is gone: register again, as a kubelet would
          this.warnThrottled('lease-gone', 'lease gone; re-registering node', { node: n.spec.name });
          n.registered = false;
          await this.register(n, undefined, false);
        } else this.warnThrottled('lease', 'lease renewal failed', { node: n.spec.name, error: String(e) });
      } finally {
        n.leaseBusy = false;
      }
    };
    void this.track(this.leaseLimit.run(renew));
  }

  private heartbeat(n: NodeState): void {
    if (this.stopped || !n.registered || n.statusBusy) return;
    n.statusBusy = true;
    const beat = async () => {
      try {
        await this.kernel.patch(NODES, undefined, n.spec.name, 'merge', { status: { conditions: nodeConditions(nowSeconds(), n.transition) } }, { subresource: 'status' });
        this.counters.nodeHeartbeats++;
      } catch (e) {
        if (this.stopped) return;
        this.counters.errors++;
        this.warnThrottled('heartbeat', 'node status heartbeat failed', { node: n.spec.name, error: String(e) });
      } finally {
        n.statusBusy = false;
      }
    };
    void this.track(this.leaseLimit.run(beat));
  }

  // ---- pods

  /** One watch on every bound pod; the ones on other nodes are dropped here. Re-watches on errors. */
  private async watchPods(): Promise<void> {
    let rv: string | undefined;
    while (!this.stopped) {
      try {
        const w = (this.podWatch = this.kernel.watch(PODS, { fieldSelector: 'spec.nodeName!=', allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) }));
        if (this.stopped) w.stop();
        let failed = false;
        for await (const ev of w) {
          if (ev.type === 'ERROR') {
            const st = ev.object as unknown as { code?: number; message?: string };
            this.logger.info('pod watch ended; watching again from the current state', { code: st.code, message: st.message });
            failed = true;
            break;
          }
          const evRv = ev.object.metadata?.resourceVersion;
          if (evRv) rv = evRv;
          if (ev.type !== 'BOOKMARK') this.onPod(ev);
        }
        w.stop();
        if (failed) rv = undefined; // the initial state again; handled idempotently
      } catch (e) {
        if (this.stopped) return;
        this.counters.errors++;
        this.logger.warn('pod watch failed; retrying', { error: String(e) });
        rv = undefined;
      }
      if (!this.stopped) await sleep(rv ? 50 : 500);
    }
  }

  private onPod(ev: WatchEvent): void {
    const pod = ev.object;
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const node = nodeName ? this.byName.get(nodeName) : undefined;
    if (!node) return;
    const uid = pod.metadata.uid!;
    if (ev.type === 'DELETED') {
      this.release(uid);
      this.finishing.delete(uid);
      this.podPending.delete(uid);
      return;
    }
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (!pod.metadata.deletionTimestamp) {
      if (this.running.has(uid)) return;
      if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') {
        // started by us before a restart (or finished): remember its IP so it is not handed out again
        const ip = (pod.status as { podIP?: string }).podIP;
        if (phase === 'Running') this.adoptIP(uid, node, ip);
        return;
      }
    } else if (this.finishing.has(uid)) return;
    const queued = this.podPending.has(uid);
    this.podPending.set(uid, pod);
    if (queued || this.podBusy.has(uid)) return;
    if (this.config.podStartDelayMs > 0 && !pod.metadata.deletionTimestamp) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.schedule(uid);
      }, this.config.podStartDelayMs);
      this.timers.add(t);
    } else this.schedule(uid);
  }

  private schedule(uid: string): void {
    if (this.stopped) return;
    void this.track(
      this.podLimit.run(async () => {
        const pod = this.podPending.get(uid);
        this.podPending.delete(uid);
        if (!pod || this.stopped) return;
        this.podBusy.add(uid);
        try {
          await this.processPod(pod);
        } finally {
          this.podBusy.delete(uid);
          if (this.podPending.has(uid)) this.schedule(uid); // a newer event arrived meanwhile
        }
      }),
    );
  }

  private async processPod(pod: KObject): Promise<void> {
    const uid = pod.metadata.uid!;
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    const node = this.byName.get((pod.spec as { nodeName: string }).nodeName)!;
    try {
      if (pod.metadata.deletionTimestamp) {
        // "stop the containers" (there are none), then finish the deletion
        this.finishing.add(uid);
        await this.kernel.delete(PODS, ns, name, { gracePeriodSeconds: 0, preconditions: { uid } });
        this.counters.podsDeleted++;
        this.release(uid);
        return;
      }
      if (this.running.has(uid)) return;
      const host = this.allocate(node);
      this.running.set(uid, { node: node.spec.name, host });
      try {
        await this.kernel.patch(PODS, ns, name, 'merge', { status: runningPodStatus(pod, podIP(node.podBase, host), node.hostIP) }, { subresource: 'status' });
        this.counters.podsStarted++;
      } catch (e) {
        this.release(uid);
        throw e;
      }
    } catch (e) {
      const c = code(e);
      if (c === 404 || (c === 409 && pod.metadata.deletionTimestamp)) return; // already gone (or replaced)
      if (this.stopped) return;
      this.counters.errors++;
      this.finishing.delete(uid);
      this.warnThrottled('pod', 'pod update failed; retrying', { pod: `${ns}/${name}`, error: String(e) });
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (!this.podPending.has(uid)) this.podPending.set(uid, pod);
        this.schedule(uid);
      }, 1000);
      this.timers.add(t);
    }
  }

  private allocate(n: NodeState): number {
    for (let tries = 0; tries < 253; tries++) {
      const h = n.ipNext;
      n.ipNext = h >= 254 ? 2 : h + 1;
      if (!n.ipsUsed.has(h)) {
        n.ipsUsed.add(h);
        return h;
      }
    }
    return n.ipNext; // more pods than addresses: share one (it is only data)
  }

  private adoptIP(uid: string, n: NodeState, ip: string | undefined): void {
    const h = ip ? hostPart(ip) : NaN;
    const host = Number.isInteger(h) && h >= 2 && h <= 254 ? h : this.allocate(n);
    n.ipsUsed.add(host);
    this.running.set(uid, { node: n.spec.name, host });
  }

  private release(uid: string): void {
    const r = this.running.get(uid);
    if (!r) return;
    this.running.delete(uid);
    this.byName.get(r.node)?.ipsUsed.delete(r.host);
  }
}
