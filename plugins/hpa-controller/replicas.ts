// kube's replica calculator for Resource metrics: from the pods' usage (milli-units, from the
// metrics API) and their requests, how many replicas bring the average to the target. Ready pods
// count as they are; on a scale-up, unready pods count as 0 and pods without metrics as 0; on a
// scale-down, pods without metrics count as max(100%, target) of their request (AverageValue: the
// target); a change of direction or a change within the tolerance keeps the current count.
import { getPodCondition, parseMilliQuantity, tryParseQuantity, type Pod } from '@skiff/api';

/** One pod's usage, summed over its containers (or the one container asked for), in milli-units. */
export interface PodMetric {
  timestampMs: number;
  windowMs: number;
  value: number;
}

/** pod name -> usage */
export type PodMetricsInfo = Map<string, PodMetric>;

/** how far the usage ratio may stray from 1 before scaling (kube: 0.1 both ways) */
export interface Tolerances {
  scaleUp: number;
  scaleDown: number;
}

export interface CalcOptions {
  tolerances: Tolerances;
  /** pods started less than this long ago: CPU samples taken before readiness do not count */
  cpuInitializationPeriodMs: number;
  /** a pod unready since start for less than this long is just starting, not failing */
  delayOfInitialReadinessStatusMs: number;
  now: number;
}

export const isWithin = (t: Tolerances, ratio: number) => 1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp;

const ms = (t: string | undefined) => (t ? Date.parse(t) : NaN);

export interface PodGroups {
  readyPodCount: number;
  unreadyPods: Set<string>;
  missingPods: Set<string>;
  ignoredPods: Set<string>;
}

/** groupPods: ready, unready (pending; CPU: not ready or sampled before readiness), missing metrics, ignored (deleting or failed). */
export function groupPods(pods: Pod[], metrics: PodMetricsInfo, resource: string, o: CalcOptions): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unreadyPods: new Set(), missingPods: new Set(), ignoredPods: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name!;
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp || phase === 'Failed') {
      g.ignoredPods.add(name);
      continue;
    }
    if (phase === 'Pending') {
      g.unreadyPods.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = getPodCondition(pod.status, 'Ready');
      const start = ms(pod.status?.startTime);
      let unready: boolean;
      if (!ready || Number.isNaN(start)) unready = true;
      else {
        const transition = ms(ready.lastTransitionTime);
        if (start + o.cpuInitializationPeriodMs > o.now) {
          // still initializing: a sample from before the pod turned ready (plus its window) is not trusted
          unready = ready.status === 'False' || metric.timestampMs < transition + metric.windowMs;
        } else {
          // past initialization: unready only if it never became ready after starting
          unready = ready.status === 'False' && start + o.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        g.unreadyPods.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

/** calculatePodRequests: each pod's request of `resource` (milli), summed over its containers (or the one named). */
export function podRequests(pods: Pod[], container: string, resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const q = c.resources?.requests?.[resource];
      if (q === undefined || tryParseQuantity(q) === undefined) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += parseMilliQuantity(q);
    }
    out.set(pod.metadata.name!, sum);
  }
  return out;
}

/** GetResourceUtilizationRatio: ratio to the target, the utilization (integer percent) and the average raw usage (milli). */
export function utilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number) {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let n = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += r;
    n++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / n) };
}

/** GetMetricUsageRatio: ratio of the average usage (milli, truncated) to the target. */
export function usageRatio(metrics: PodMetricsInfo, targetUsage: number) {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

const withoutPods = (metrics: PodMetricsInfo, names: Set<string>) => {
  for (const n of names) metrics.delete(n);
};

export interface ResourceReplicas {
  replicas: number;
  /** integer percent of request */
  utilization: number;
  /** average usage, milli */
  rawUtilization: number;
}

/** GetResourceReplicas (target: averageUtilization). Throws with kube's messages. */
export function resourceReplicas(currentReplicas: number, targetUtilization: number, resource: string, container: string, pods: Pod[], metricsIn: PodMetricsInfo, o: CalcOptions): ResourceReplicas {
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const metrics = new Map(metricsIn);
  const g = groupPods(pods, metrics, resource, o);
  withoutPods(metrics, g.ignoredPods);
  withoutPods(metrics, g.unreadyPods);
  const requests = podRequests(pods, container, resource);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const { ratio, utilization, rawAverage } = utilizationRatio(metrics, requests, targetUtilization);
  const keep = { replicas: currentReplicas, utilization, rawUtilization: rawAverage };
  const scaleUpWithUnready = g.unreadyPods.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missingPods.size === 0) {
    if (isWithin(o.tolerances, ratio)) return keep;
    return { ...keep, replicas: Math.ceil(ratio * g.readyPodCount) };
  }
  if (g.missingPods.size > 0) {
    if (ratio < 1) {
      const fallback = Math.max(100, targetUtilization);
      for (const n of g.missingPods) metrics.set(n, { timestampMs: 0, windowMs: 0, value: Math.trunc(((requests.get(n) ?? 0) * fallback) / 100) });
    } else if (ratio > 1) {
      for (const n of g.missingPods) metrics.set(n, { timestampMs: 0, windowMs: 0, value: 0 });
    }
  }
  if (scaleUpWithUnready) for (const n of g.unreadyPods) metrics.set(n, { timestampMs: 0, windowMs: 0, value: 0 });
  const next = utilizationRatio(metrics, requests, targetUtilization).ratio;
  if (isWithin(o.tolerances, next) || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return keep;
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas)) return keep;
  return { ...keep, replicas };
}

/** GetRawResourceReplicas (target: averageValue, milli): the replicas and the average usage (milli). */
export function rawResourceReplicas(currentReplicas: number, targetUsage: number, resource: string, pods: Pod[], metricsIn: PodMetricsInfo, o: CalcOptions): { replicas: number; usage: number } {
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const metrics = new Map(metricsIn);
  const g = groupPods(pods, metrics, resource, o);
  withoutPods(metrics, g.ignoredPods);
  withoutPods(metrics, g.unreadyPods);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const { ratio, usage } = usageRatio(metrics, targetUsage);
  const scaleUpWithUnready = g.unreadyPods.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missingPods.size === 0) {
    if (isWithin(o.tolerances, ratio)) return { replicas: currentReplicas, usage };
    return { replicas: Math.ceil(ratio * g.readyPodCount), usage };
  }
  if (g.missingPods.size > 0) for (const n of g.missingPods) metrics.set(n, { timestampMs: 0, windowMs: 0, value: ratio < 1 ? targetUsage : 0 });
  if (scaleUpWithUnready) for (const n of g.unreadyPods) metrics.set(n, { timestampMs: 0, windowMs: 0, value: 0 });
  const next = usageRatio(metrics, targetUsage).ratio;
  if (isWithin(o.tolerances, next) || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return { replicas: currentReplicas, usage };
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas)) return { replicas: currentReplicas, usage };
  return { replicas, usage };
}
