// The latest usage each node reported, and the NodeMetrics / PodMetrics objects built from it on
// every read (metrics-server's in-memory storage): labels come from the Node and Pod objects, so
// label selectors see current labels, and a pod or node that no longer exists has no metrics.
// A node that stopped reporting is dropped after `maxAgeMs`.
import { rfc3339, type KObject } from '@skiff/api';
import type { NodeUsage, PodUsage } from './protocol.ts';
import { cpuQuantity, goDuration, memoryQuantity } from './quantities.ts';

export const METRICS_API_VERSION = 'metrics.k8s.io/v1beta1';

/** Where the store finds the objects the metrics describe (informer listers in the plugin). */
export interface ObjectLookup {
  node(name: string): KObject | undefined;
  pod(namespace: string, name: string): KObject | undefined;
}

interface PodEntry {
  node: string;
  usage: PodUsage;
}

export class MetricsStore {
  private readonly nodes = new Map<string, { usage: NodeUsage; at: number }>();
  /** namespace -> pod name -> latest usage */
  private readonly pods = new Map<string, Map<string, PodEntry>>();
  reports = 0;

  constructor(
    private readonly lookup: ObjectLookup,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get nodeCount(): number {
    return this.nodes.size;
  }

  get podCount(): number {
    let n = 0;
    for (const m of this.pods.values()) n += m.size;
    return n;
  }

  /** A node's new report replaces its last one (its pods that are gone from it go too). */
  accept(n: NodeUsage): void {
    this.reports++;
    this.dropPodsOf(n.node);
    this.nodes.set(n.node, { usage: n, at: this.now() });
    for (const p of n.pods) {
      let m = this.pods.get(p.namespace);
      if (!m) this.pods.set(p.namespace, (m = new Map()));
      m.set(p.name, { node: n.node, usage: p });
    }
  }

  /** Forget nodes (and their pods) not heard from for maxAgeMs. */
  expire(): void {
    const cutoff = this.now() - this.maxAgeMs;
    for (const [name, e] of this.nodes) {
      if (e.at >= cutoff) continue;
      this.dropPodsOf(name);
      this.nodes.delete(name);
    }
  }

  private dropPodsOf(node: string): void {
    const prev = this.nodes.get(node);
    if (!prev) return;
    for (const p of prev.usage.pods) {
      const m = this.pods.get(p.namespace);
      if (m?.get(p.name)?.node !== node) continue;
      m.delete(p.name);
      if (m.size === 0) this.pods.delete(p.namespace);
    }
  }

  private fresh(node: string): boolean {
    const e = this.nodes.get(node);
    return !!e && e.at >= this.now() - this.maxAgeMs;
  }

  nodeMetrics(name: string): KObject | undefined {
    const e = this.nodes.get(name);
    if (!e || !this.fresh(name)) return undefined;
    const node = this.lookup.node(name);
    if (!node) return undefined;
    const u = e.usage;
    return {
      kind: 'NodeMetrics',
      apiVersion: METRICS_API_VERSION,
      metadata: { name, creationTimestamp: rfc3339(this.now()), ...labelsOf(node) },
      timestamp: rfc3339(u.timestampMs),
      window: goDuration(u.windowSeconds),
      usage: { cpu: cpuQuantity(u.cpuNanoCores), memory: memoryQuantity(u.memoryWorkingSetBytes) },
    };
  }

  listNodes(): KObject[] {
    const out: KObject[] = [];
    for (const name of this.nodes.keys()) {
      const o = this.nodeMetrics(name);
      if (o) out.push(o);
    }
    return out;
  }

  podMetrics(namespace: string, name: string): KObject | undefined {
    const e = this.pods.get(namespace)?.get(name);
    return e ? this.podObject(e) : undefined;
  }

  listPods(namespace: string | undefined): KObject[] {
    const out: KObject[] = [];
    const maps = namespace === undefined ? [...this.pods.values()] : [this.pods.get(namespace)].filter((m) => m !== undefined);
    for (const m of maps)
      for (const e of m.values()) {
        const o = this.podObject(e);
        if (o) out.push(o);
      }
    return out;
  }

  private podObject(e: PodEntry): KObject | undefined {
    if (!this.fresh(e.node)) return undefined;
    const u = e.usage;
    const pod = this.lookup.pod(u.namespace, u.name);
    if (!pod || (u.uid && pod.metadata.uid !== u.uid)) return undefined;
    return {
      kind: 'PodMetrics',
      apiVersion: METRICS_API_VERSION,
      metadata: { name: u.name, namespace: u.namespace, creationTimestamp: rfc3339(this.now()), ...labelsOf(pod) },
      timestamp: rfc3339(u.timestampMs),
      window: goDuration(u.windowSeconds),
      containers: u.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpuNanoCores), memory: memoryQuantity(c.memoryWorkingSetBytes) } })),
    };
  }
}

const labelsOf = (o: KObject) => (o.metadata.labels && Object.keys(o.metadata.labels).length ? { labels: { ...o.metadata.labels } } : {});
