// Replica arithmetic of a rollout, as kube's deployment util: maxSurge / maxUnavailable resolved
// together (ResolveFenceposts), how far the new ReplicaSet may grow (NewRSNewReplicas), saturation,
// and the proportions a scaling event spreads over the active ReplicaSets (GetReplicaSetProportion).
import { getScaledValueFromIntOrPercent, type Deployment, type IntOrString, type ReplicaSet } from '@skiff/api';
import { MAX_REPLICAS_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, intAnnotation } from './annotations.ts';

export const MAX_INT32 = 2147483647;

/** spec.replicas (the API defaults it to 1). */
export const replicasOf = (o: Deployment | ReplicaSet): number => o.spec?.replicas ?? 1;

export const isRollingUpdate = (d: Deployment): boolean => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/**
 * maxSurge rounds up, maxUnavailable down (of the desired count); when both come to 0, one pod may
 * be unavailable (validation forbids 0/0 as written, but percentages may round to it).
 */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = getScaledValueFromIntOrPercent(maxSurge ?? 0, desired, true);
  let unavailable = getScaledValueFromIntOrPercent(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  // the API defaults both to 25%
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicasOf(d));
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicas);
}

export function minAvailable(d: Deployment): number {
  return isRollingUpdate(d) ? replicasOf(d) - maxUnavailable(d) : 0;
}

export const filterActive = (rss: (ReplicaSet | undefined)[]): ReplicaSet[] => rss.filter((rs): rs is ReplicaSet => !!rs && replicasOf(rs) > 0);

const sum = (rss: (ReplicaSet | undefined)[], f: (rs: ReplicaSet) => number) => rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
/** Σ spec.replicas */
export const specReplicas = (rss: (ReplicaSet | undefined)[]) => sum(rss, replicasOf);
/** Σ status.replicas */
export const actualReplicas = (rss: (ReplicaSet | undefined)[]) => sum(rss, (rs) => rs.status?.replicas ?? 0);
export const readyReplicas = (rss: (ReplicaSet | undefined)[]) => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicas = (rss: (ReplicaSet | undefined)[]) => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);

// Two counts a rolling update decides by, bounded so a status the ReplicaSet controller has not
// caught up with yet cannot overshoot (kube reads spec and status as they are; both bounds are
// equal to them once the status is current):
/** Pods that exist or soon will: an RS scaled down still has its pods until its controller deletes them. */
export const podsBound = (rs: ReplicaSet) => Math.max(replicasOf(rs), rs.status?.replicas ?? 0);
/** Available pods that will stay: an RS scaled down loses pods its stale status still counts. */
export const availableBound = (rs: ReplicaSet) => Math.min(replicasOf(rs), rs.status?.availableReplicas ?? 0);

/** How many replicas the new ReplicaSet should have now (kube's NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d)) return replicas; // Recreate
  const surge = getScaledValueFromIntOrPercent(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', replicas, true);
  const current = allRSs.reduce((n, rs) => n + (rs.metadata.name === newRS.metadata.name ? replicasOf(rs) : podsBound(rs)), 0);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const scaleUp = Math.min(maxTotal - current, replicas - replicasOf(newRS));
  return replicasOf(newRS) + scaleUp;
}

/** The new RS holds all desired replicas, all available, and its annotation agrees. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
  if (desired === undefined) return false;
  const replicas = replicasOf(d);
  return replicasOf(rs) === replicas && desired === replicas && (rs.status?.availableReplicas ?? 0) === replicas;
}

/** Go's integer.RoundToInt32: half away from zero. */
const roundHalfAway = (x: number) => (x < 0 ? Math.ceil(x - 0.5) : Math.floor(x + 0.5));

/** This RS's share of the deployment's new size, minus its size (kube's getReplicaSetFraction). */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const replicas = replicasOf(d);
  if (replicas === 0) return -replicasOf(rs);
  const deploymentMax = replicas + maxSurge(d);
  let before = intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
  if (before === undefined || before === 0) {
    // annotation missing or tampered with: the deployment's current size, else the desired one
    before = d.status?.replicas ?? 0;
    if (before === 0) before = replicas;
  }
  return roundHalfAway((replicasOf(rs) * deploymentMax) / before) - replicasOf(rs);
}

/** What to add to (or remove from) `rs` of `toAdd` when `added` were handed out already. */
export function getProportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  // never hand out more than is left, in either direction
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}
