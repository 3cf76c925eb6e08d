// Usage of the hollow pods, for the resource metrics API (plugins/metrics-server/protocol.ts): a
// test or benchmark sets it per pod with annotations — `sim.skiff.io/cpu-usage: "450m"`,
// `sim.skiff.io/memory-usage: "64Mi"` (the pod's total, split evenly over its containers; default 0)
// — and the hollow nodes answer every scrape with it, like kubelets' summaries. A node's usage is
// the sum of its running pods'. Changing an annotation changes the next report.
import type { NatsConnection } from '@nats-io/nats-core';
import type { WatchEvent } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { answerScrapes, type NodeUsage, type PodUsage, type ScrapeRequest, type ScrapeResponder } from '@skiff/plugin-metrics-server/protocol';

export const CPU_USAGE_ANNOTATION = 'sim.skiff.io/cpu-usage';
export const MEMORY_USAGE_ANNOTATION = 'sim.skiff.io/memory-usage';

interface PodEntry {
  node: string;
  namespace: string;
  name: string;
  uid: string;
  containers: string[];
  cpuNanoCores: number;
  memoryBytes: number;
  running: boolean;
}

const SUFFIX: Record<string, number> = { '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A quantity annotation's value in base units (cores, bytes); 0 when absent or not a quantity. */
export function annotationQuantity(v: unknown): number {
  if (typeof v !== 'string') return 0;
  const m = /^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(n|u|m|k|M|G|T|Ki|Mi|Gi|Ti)?\s*$/.exec(v);
  return m ? Number(m[1]) * SUFFIX[m[2] ?? '']! : 0;
}

/** An even split of `total` over `n` parts, in whole units (the remainder on the first). */
function split(total: number, n: number): number[] {
  const t = Math.round(total);
  const each = Math.floor(t / n);
  return Array.from({ length: n }, (_, i) => (i === 0 ? t - each * (n - 1) : each));
}

export class HollowMetrics {
  private readonly pods = new Map<string, PodEntry>();
  private lastCollect = 0;
  private responder?: ScrapeResponder;

  /** Follow a pod event of a pod on one of these nodes (called by the pod watch). */
  observe(ev: WatchEvent, node: string): void {
    const pod = ev.object;
    const uid = pod.metadata.uid;
    if (!uid) return;
    if (ev.type === 'DELETED' || pod.metadata.deletionTimestamp) {
      this.pods.delete(uid);
      return;
    }
    const a = pod.metadata.annotations ?? {};
    const spec = (pod.spec ?? {}) as { containers?: { name?: string }[] };
    const names = (spec.containers ?? []).map((c) => String(c.name ?? '')).filter((n) => n !== '');
    this.pods.set(uid, {
      node,
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name!,
      uid,
      containers: names,
      cpuNanoCores: annotationQuantity(a[CPU_USAGE_ANNOTATION]) * 1e9,
      memoryBytes: annotationQuantity(a[MEMORY_USAGE_ANNOTATION]),
      running: (pod.status as { phase?: string } | undefined)?.phase === 'Running',
    });
  }

  /** The usage of `nodes` now: one entry per node, its running pods in it. */
  collect(nodes: string[], req?: ScrapeRequest): NodeUsage[] {
    const t = Date.now();
    const windowSeconds = this.lastCollect ? (t - this.lastCollect) / 1000 : (req?.resolutionSeconds ?? 15);
    this.lastCollect = t;
    const byNode = new Map<string, NodeUsage>(nodes.map((n) => [n, { node: n, timestampMs: t, windowSeconds, cpuNanoCores: 0, memoryWorkingSetBytes: 0, pods: [] }]));
    for (const p of this.pods.values()) {
      const n = byNode.get(p.node);
      if (!n || !p.running || p.containers.length === 0) continue;
      const cpu = split(p.cpuNanoCores, p.containers.length);
      const mem = split(p.memoryBytes, p.containers.length);
      const usage: PodUsage = {
        namespace: p.namespace,
        name: p.name,
        uid: p.uid,
        timestampMs: t,
        windowSeconds,
        containers: p.containers.map((name, i) => ({ name, cpuNanoCores: cpu[i]!, memoryWorkingSetBytes: mem[i]! })),
      };
      n.pods.push(usage);
      n.cpuNanoCores += Math.round(p.cpuNanoCores);
      n.memoryWorkingSetBytes += Math.round(p.memoryBytes);
    }
    return [...byNode.values()];
  }

  /** Answer the metrics-server's scrapes for `nodes()` over `nc` until stop(). */
  serve(nc: NatsConnection, nodes: () => string[], logger: Logger): void {
    this.responder ??= answerScrapes(nc, (req) => this.collect(nodes(), req), (e) => logger.warn('hollow metrics report failed', { error: String(e) }));
  }

  stop(): void {
    this.responder?.stop();
    this.responder = undefined;
  }

  /** pods followed (tests) */
  get size(): number {
    return this.pods.size;
  }
}
