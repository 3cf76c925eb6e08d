// The resource metrics client (kube's REST metrics client over metrics.k8s.io/v1beta1): the
// PodMetrics of the pods a selector picks, as one usage per pod in milli-units — the sum over its
// containers (a pod missing the resource in any container has no metric), or one container's.
import { POD_METRICS, parseMilliQuantity, tryParseQuantity, type PodMetrics } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import type { PodMetricsInfo } from './replicas.ts';

/** Go's time.ParseDuration for what metrics windows look like ("15s", "1m0.5s", "250ms"); 0 if it does not parse. */
export function parseDurationMs(d: unknown): number {
  if (typeof d !== 'string') return 0;
  const UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };
  let total = 0;
  let rest = d;
  if (rest === '0') return 0;
  while (rest) {
    const m = /^([0-9]*\.?[0-9]+)(h|ms|m|s|us|µs|ns)/.exec(rest);
    if (!m) return 0;
    total += Number(m[1]) * UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

export interface ResourceMetrics {
  metrics: PodMetricsInfo;
  /** the first item's timestamp (ms) */
  timestampMs: number;
}

/** GetResourceMetric. Throws with kube's messages (the caller prefixes "unable to get metrics for resource <r>: "). */
export async function getResourceMetric(kernel: Pick<Kernel, 'list'>, resource: string, namespace: string, selector: string, container: string): Promise<ResourceMetrics> {
  let items: PodMetrics[];
  try {
    items = (await kernel.list(POD_METRICS, { namespace, labelSelector: selector })).items as PodMetrics[];
  } catch (e) {
    throw new Error(`unable to fetch metrics from resource metrics API: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
  const metrics: PodMetricsInfo = new Map();
  for (const m of items) {
    const timestampMs = Date.parse(m.timestamp);
    const windowMs = parseDurationMs(m.window);
    const containers = m.containers ?? [];
    if (container) {
      const c = containers.find((x) => x.name === container);
      if (!c) continue;
      const q = c.usage?.[resource];
      if (q === undefined || tryParseQuantity(q) === undefined)
        throw new Error(`failed to get container metrics: missing resource metric ${resource} for container ${container} in pod ${namespace}/${m.metadata.name}`);
      metrics.set(m.metadata.name!, { timestampMs, windowMs, value: parseMilliQuantity(q) });
      continue;
    }
    if (containers.length === 0) continue;
    let sum = 0;
    let missing = false;
    for (const c of containers) {
      const q = c.usage?.[resource];
      if (q === undefined || tryParseQuantity(q) === undefined) {
        missing = true;
        break;
      }
      sum += parseMilliQuantity(q);
    }
    if (!missing) metrics.set(m.metadata.name!, { timestampMs, windowMs, value: sum });
  }
  return { metrics, timestampMs: Date.parse(items[0]!.timestamp) };
}
