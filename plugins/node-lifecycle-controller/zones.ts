// Per-zone eviction rate limiting, as kube's node lifecycle controller: the NoExecute taints that
// evict pods are added at most `rate` nodes per second per zone; a zone where many nodes are
// unhealthy (partial disruption) slows to the secondary rate, or stops in a small cluster; when
// every zone is fully disrupted (the control plane probably cannot see the nodes, not the nodes
// failing) no node is tainted at all.
import type { Node } from '@skiff/api';
import { readyCondition } from './health.ts';

export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

export interface ZoneOptions {
  rate: number;
  secondaryRate: number;
  unhealthyThreshold: number;
  largeClusterThreshold: number;
}

export function zoneOf(node: Node): string {
  const l = node.metadata.labels ?? {};
  const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return `${region}:\x00:${zone}`;
}

export function zoneState(ready: number, notReady: number, threshold: number): ZoneState {
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / (ready + notReady) >= threshold) return 'PartialDisruption';
  return 'Normal';
}

interface Bucket {
  tokens: number;
  at: number;
  rate: number;
  size: number;
  state: ZoneState;
}

export class ZoneLimiter {
  private readonly zones = new Map<string, Bucket>();
  private allDisrupted = false;

  constructor(private readonly opts: ZoneOptions) {}

  /** Recompute every zone's state and rate from all nodes (called every monitor period). */
  update(nodes: readonly Node[], nowMs: number): void {
    const counts = new Map<string, { ready: number; notReady: number }>();
    for (const n of nodes) {
      const z = zoneOf(n);
      let c = counts.get(z);
      if (!c) counts.set(z, (c = { ready: 0, notReady: 0 }));
      if (readyCondition(n)?.status === 'True') c.ready++;
      else c.notReady++;
    }
    let full = 0;
    for (const [z, c] of counts) {
      const state = zoneState(c.ready, c.notReady, this.opts.unhealthyThreshold);
      if (state === 'FullDisruption') full++;
      const size = c.ready + c.notReady;
      const rate = state === 'PartialDisruption' ? (size > this.opts.largeClusterThreshold ? this.opts.secondaryRate : 0) : this.opts.rate;
      const b = this.zones.get(z);
      if (!b) this.zones.set(z, { tokens: 1, at: nowMs, rate, size, state });
      else Object.assign(b, { rate, size, state });
    }
    for (const z of [...this.zones.keys()]) if (!counts.has(z)) this.zones.delete(z);
    this.allDisrupted = counts.size > 0 && full === counts.size;
  }

  /** True when no node should be tainted for eviction at all. */
  get allZonesDisrupted(): boolean {
    return this.allDisrupted;
  }

  state(node: Node): ZoneState {
    return this.zones.get(zoneOf(node))?.state ?? 'Normal';
  }

  /** Take a token for tainting `node`: 0 when granted, else ms to wait (Infinity: the zone does not evict now). */
  take(node: Node, nowMs: number): number {
    if (this.allDisrupted) return Infinity;
    const b = this.zones.get(zoneOf(node));
    if (!b) return 0; // a zone not seen yet: the next update counts it
    if (b.rate <= 0) return Infinity;
    b.tokens = Math.min(1, b.tokens + ((nowMs - b.at) / 1000) * b.rate);
    b.at = nowMs;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / b.rate) * 1000);
  }
}
