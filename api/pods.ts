// Pod helpers controllers share, with the semantics of Kubernetes' podutil and controller utilities.
import type { Pod, PodCondition, PodPhase, PodStatus } from './types/core-pod.ts';
import { rfc3339 } from './time.ts';

/** A point in time: a Date, epoch milliseconds, or an RFC 3339 string. */
export type Instant = Date | number | string;
const ms = (t: Instant): number => (t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t));

/** The pod's phase; a pod without one is Pending (the phase the API server gives new pods). */
export function podPhase(pod: Pod): PodPhase {
  return pod.status?.phase ?? 'Pending';
}

/** The condition of this type in a pod status, if any. */
export function getPodCondition(status: PodStatus | undefined, type: string): PodCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** The pod's Ready condition, if any. */
export function podReadyCondition(status: PodStatus | undefined): PodCondition | undefined {
  return getPodCondition(status, 'Ready');
}

export function isPodReadyConditionTrue(status: PodStatus | undefined): boolean {
  return podReadyCondition(status)?.status === 'True';
}

/** Ready condition True. */
export function isPodReady(pod: Pod): boolean {
  return isPodReadyConditionTrue(pod.status);
}

/**
 * Ready for at least minReadySeconds at `now`: with minReadySeconds 0, ready is enough; otherwise the Ready
 * condition's lastTransitionTime plus minReadySeconds must be strictly before now.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Instant): boolean {
  const c = podReadyCondition(pod.status);
  if (c?.status !== 'True') return false;
  if (minReadySeconds === 0) return true;
  if (!c.lastTransitionTime) return false;
  const since = Date.parse(c.lastTransitionTime);
  return Number.isFinite(since) && since + minReadySeconds * 1000 < ms(now);
}

/** Succeeded or Failed: the pod will not run again. */
export function isPodTerminal(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

/** Counts toward a controller's replicas: not terminal and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

/** Being deleted but not terminal yet (its containers may still run). */
export function isPodTerminating(pod: Pod): boolean {
  return !isPodTerminal(pod) && !!pod.metadata.deletionTimestamp;
}

/** Bound to a node. */
export function isPodScheduled(pod: Pod): boolean {
  return !!pod.spec?.nodeName;
}

/**
 * Set a condition in a pod status (in place), as podutil.UpdatePodCondition does: lastTransitionTime moves
 * only when the status changes. Returns whether anything changed.
 */
export function updatePodCondition(status: PodStatus, condition: PodCondition, now: Instant = Date.now()): boolean {
  const stamp = rfc3339(ms(now));
  const conditions = (status.conditions ??= []);
  const i = conditions.findIndex((c) => c.type === condition.type);
  if (i < 0) {
    conditions.push({ ...condition, lastTransitionTime: condition.lastTransitionTime ?? stamp });
    return true;
  }
  const old = conditions[i];
  const next: PodCondition = { ...condition };
  next.lastTransitionTime = condition.status === old.status ? old.lastTransitionTime : (condition.lastTransitionTime ?? stamp);
  const same =
    old.status === next.status &&
    old.reason === next.reason &&
    old.message === next.message &&
    old.lastProbeTime === next.lastProbeTime &&
    old.lastTransitionTime === next.lastTransitionTime;
  conditions[i] = next;
  return !same;
}
