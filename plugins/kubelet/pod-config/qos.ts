// A pod's QoS class, as Kubernetes computes it (pkg/apis/core/v1/helper/qos ComputePodQOS / GetPodQOS):
// - only cpu and memory count, and only quantities > 0;
// - requests and limits are summed over init and app containers;
// - Guaranteed: every container has cpu and memory limits, and the summed requests equal the summed
//   limits for every resource requested (and as many resources are requested as limited);
// - BestEffort: no request and no limit at all; Burstable otherwise.
// A container's missing request defaults to its limit (the API server's defaulting, repeated here
// for pods that did not go through it). Quantities are compared at millicore and byte precision.
// Left out: pod-level resources (spec.resources, the PodLevelResources alpha feature).
import { parseMilliQuantity, parseQuantity, tryParseQuantity } from '@skiff/api';
import type { Container, Pod, ResourceList } from './types.ts';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

/** A quantity in the unit QoS compares it in: millicores for cpu, bytes (rounded up) for memory. */
function amount(resource: string, q: string | number): number {
  return resource === 'cpu' ? parseMilliQuantity(q) : Math.ceil(parseQuantity(q));
}

/** The container's requests with missing ones defaulted from its limits (SetDefaults_Pod). */
export function effectiveRequests(container: Container): ResourceList {
  const requests: ResourceList = { ...(container.resources?.requests ?? {}) };
  for (const [k, v] of Object.entries(container.resources?.limits ?? {})) if (requests[k] === undefined) requests[k] = v;
  return requests;
}

export function computePodQOS(pod: Pod): QOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const containers = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];
  for (const c of containers) {
    const req = effectiveRequests(c);
    for (const r of QOS_RESOURCES) {
      if (req[r] === undefined || tryParseQuantity(req[r]) === undefined) continue;
      const v = amount(r, req[r]);
      if (v > 0) requests.set(r, (requests.get(r) ?? 0) + v);
    }
    const found = new Set<string>();
    const lim = c.resources?.limits ?? {};
    for (const r of QOS_RESOURCES) {
      if (lim[r] === undefined || tryParseQuantity(lim[r]) === undefined) continue;
      const v = amount(r, lim[r]);
      if (v > 0) {
        found.add(r);
        limits.set(r, (limits.get(r) ?? 0) + v);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [r, v] of requests) {
      if (limits.get(r) !== v) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** The class in status.qosClass (set once, when the pod was created), else computed. */
export function getPodQOS(pod: Pod): QOSClass {
  const s = pod.status?.qosClass;
  return s === 'Guaranteed' || s === 'Burstable' || s === 'BestEffort' ? s : computePodQOS(pod);
}
