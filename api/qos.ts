// A pod's QoS class, as Kubernetes computes it (ComputePodQOS):
// - only cpu and memory count, and only quantities > 0;
// - requests and limits are summed over init and app containers;
// - Guaranteed: every container has cpu and memory limits, and the summed requests equal the summed
//   limits for every resource requested (and as many resources are requested as limited);
// - BestEffort: no request and no limit at all; Burstable otherwise.
// A container's missing request counts as its limit (the API server's defaulting, repeated for specs
// that did not go through it). Tolerates malformed specs (the kernel calls it before validation).
// Left out: pod-level resources (spec.resources, the PodLevelResources feature).
import { tryParseQuantity } from './quantity.ts';
import type { PodQOSClass, PodSpec } from './types/core-pod.ts';

const QOS_RESOURCES = ['cpu', 'memory'] as const;
type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A quantity in thousandths (millicores, millibytes): exact enough to compare sums. */
function milli(q: unknown): number | undefined {
  const v = tryParseQuantity(q);
  return v === undefined ? undefined : Math.round(v * 1000);
}

export function podQOSClass(spec: PodSpec | undefined): PodQOSClass {
  const s = asObj(spec);
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const c of [...asArr(s.initContainers), ...asArr(s.containers)]) {
    const res = asObj(asObj(c).resources);
    const lim = asObj(res.limits);
    const req = { ...lim, ...asObj(res.requests) };
    for (const r of QOS_RESOURCES) {
      const v = milli(req[r]);
      if (v !== undefined && v > 0) requests.set(r, (requests.get(r) ?? 0) + v);
    }
    let found = 0;
    for (const r of QOS_RESOURCES) {
      const v = milli(lim[r]);
      if (v !== undefined && v > 0) {
        found++;
        limits.set(r, (limits.get(r) ?? 0) + v);
      }
    }
    if (found < QOS_RESOURCES.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) for (const [r, v] of requests) if (limits.get(r) !== v) guaranteed = false;
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** status.qosClass when set (it is set once, at creation), else computed from the spec. */
export function getPodQOS(pod: { spec?: PodSpec; status?: { qosClass?: string } }): PodQOSClass {
  const q = pod.status?.qosClass;
  return q === 'Guaranteed' || q === 'Burstable' || q === 'BestEffort' ? q : podQOSClass(pod.spec);
}
