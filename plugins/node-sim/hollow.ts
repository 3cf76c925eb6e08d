// Hollow nodes (like kwok): many simulated nodes in one process over one Kernel — in process or
// the bus client, it cannot tell. Per node: a Node (registered, adopted on restart), its Lease in
// kube-node-lease renewed every leaseIntervalSeconds, and an occasional status heartbeat. For the
// pods bound to these nodes (one watch on all bound pods, filtered here): a status write that makes
// them Running, and the final grace-0 delete once they are marked for deletion. No containers, no
// network: every address is data only.
//
// This file wires the parts together and runs start/stop: nodes.ts (registration), leases.ts
// (leases and heartbeats), pods.ts (the pod lifecycle), pacing.ts and runtime.ts (shared plumbing).
import type { NatsConnection } from '@nats-io/nats-core';
import type { Kernel, KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { expandNodes, resolveConfig, type HollowNodesConfig } from './config.ts';
import { Leases } from './leases.ts';
import { HollowMetrics } from './metrics.ts';
import { Registrar, nodeState, type NodeState } from './nodes.ts';
import { HOLLOW_LABEL, LEASES, LEASE_NAMESPACE, NAMESPACES, NODES } from './objects.ts';
import { Limiter, SpreadTicker } from './pacing.ts';
import { Pods } from './pods.ts';
import { Runtime, code, silent, sleep } from './runtime.ts';

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

export interface HollowNodesOptions {
  /** answer the metrics-server's scrapes with the pods' usage annotations over this connection (metrics.ts) */
  nats?: NatsConnection;
}

export interface StopOptions {
  /** delete the Nodes and Leases (default: config.deleteNodesOnStop) */
  deleteNodes?: boolean;
}

export class HollowNodes {
  readonly config: HollowNodesConfig;
  private readonly rt: Runtime;
  private readonly nodes: NodeState[];
  private readonly byName = new Map<string, NodeState>();
  private readonly tickers: SpreadTicker[] = [];
  private readonly registrar: Registrar;
  private readonly leases: Leases;
  private readonly pods: Pods;
  private readonly metrics?: HollowMetrics;

  constructor(kernel: Kernel, config: Partial<HollowNodesConfig> = {}, logger?: Logger, private readonly opts: HollowNodesOptions = {}) {
    this.config = resolveConfig(config);
    this.rt = new Runtime(kernel, this.config, logger ?? silent);
    this.nodes = expandNodes(this.config).map(nodeState);
    for (const n of this.nodes) this.byName.set(n.spec.name, n);
    this.registrar = new Registrar(this.rt, new Limiter(this.config.registerConcurrency));
    this.leases = new Leases(this.rt, new Limiter(this.config.leaseConcurrency), (n) => this.registrar.register(n, undefined, false));
    this.pods = new Pods(this.rt, this.byName, new Limiter(this.config.podConcurrency));
    if (opts.nats) {
      const m = (this.metrics = new HollowMetrics());
      this.pods.observer = (ev, node) => m.observe(ev, node);
    }
  }

  /** Names of the simulated nodes. */
  get nodeNames(): string[] {
    return this.nodes.map((n) => n.spec.name);
  }

  stats(): HollowNodesStats {
    return {
      nodes: this.nodes.length,
      registered: this.nodes.reduce((k, n) => k + (n.registered ? 1 : 0), 0),
      ...this.rt.counters,
      podsRunning: this.pods.runningCount,
    };
  }

  /**
   * Register every node (create, or adopt what a previous run left), then keep leases and status
   * fresh. The pod watch starts first, so pods bound to a node while the rest are still registering
   * start right away. Resolves when all nodes are registered.
   */
  async start(): Promise<void> {
    const t0 = Date.now();
    const { kernel } = this.rt;
    await this.ensureLeaseNamespace();
    this.pods.start();
    const [existingNodes, existingLeases] = await Promise.all([
      kernel.list(NODES, { labelSelector: `${HOLLOW_LABEL}=hollow` }),
      kernel.list(LEASES, { namespace: LEASE_NAMESPACE }),
    ]);
    const nodeMap = new Map<string, KObject>(existingNodes.items.map((o) => [o.metadata.name!, o]));
    const leaseSet = new Set(existingLeases.items.map((o) => o.metadata.name!));
    const reg = this.registrar;
    await Promise.all(this.nodes.map((n) => reg.limit.run(() => reg.register(n, nodeMap.get(n.spec.name), leaseSet.has(n.spec.name)))));
    if (this.rt.stopped) return;
    const c = this.config;
    this.tickers.push(new SpreadTicker(() => this.nodes.length, c.leaseIntervalSeconds * 1000, (i) => this.leases.renew(this.nodes[i]!)));
    if (c.nodeStatusIntervalSeconds > 0)
      this.tickers.push(new SpreadTicker(() => this.nodes.length, c.nodeStatusIntervalSeconds * 1000, (i) => this.leases.heartbeat(this.nodes[i]!), 100));
    if (this.opts.nats) this.metrics?.serve(this.opts.nats, () => this.nodeNames, this.rt.logger);
    this.rt.logger.info('hollow nodes registered', { nodes: this.nodes.length, adopted: this.rt.counters.adopted, ms: Date.now() - t0 });
  }

  /** End watches and timers, wait for in-flight writes, and (optionally) delete the Nodes and Leases. */
  async stop(opts: StopOptions = {}): Promise<void> {
    const rt = this.rt;
    if (rt.stopped) return;
    rt.stopped = true;
    this.metrics?.stop();
    for (const t of this.tickers) t.stop();
    for (const t of rt.timers) clearTimeout(t);
    rt.timers.clear();
    await this.pods.stop();
    await Promise.race([Promise.allSettled([...rt.inflight]), sleep(10_000)]);
    if (opts.deleteNodes ?? this.config.deleteNodesOnStop) await this.registrar.deleteAll(this.nodes);
  }

  private async ensureLeaseNamespace(): Promise<void> {
    try {
      await this.rt.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NAMESPACE } });
    } catch (e) {
      if (code(e) !== 409) throw e;
    }
  }
}
