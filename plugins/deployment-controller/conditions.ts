// Deployment conditions (Progressing, Available, ReplicaFailure) and the progress estimates kube's
// controller derives from them: complete, progressing, timed out.
import { rfc3339, type Deployment, type DeploymentCondition, type DeploymentStatus } from '@skiff/api';
import { MAX_INT32, replicasOf } from './replicas.ts';

export const PROGRESSING = 'Progressing';
export const AVAILABLE = 'Available';
export const REPLICA_FAILURE = 'ReplicaFailure';

// Progressing reasons
export const REPLICA_SET_UPDATED = 'ReplicaSetUpdated';
export const FAILED_RS_CREATE = 'ReplicaSetCreateError';
export const NEW_REPLICA_SET = 'NewReplicaSetCreated';
export const FOUND_NEW_RS = 'FoundNewReplicaSet';
export const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const TIMED_OUT = 'ProgressDeadlineExceeded';
export const PAUSED = 'DeploymentPaused';
export const RESUMED = 'DeploymentResumed';
// Available reasons
export const MINIMUM_REPLICAS_AVAILABLE = 'MinimumReplicasAvailable';
export const MINIMUM_REPLICAS_UNAVAILABLE = 'MinimumReplicasUnavailable';

/** metav1.Now() as it is serialized: RFC 3339, whole seconds. */
export function stamp(ms = Date.now()): string {
  return rfc3339(ms);
}

export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, nowMs = Date.now()): DeploymentCondition {
  const t = stamp(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * Put `c` in the status (in place). Same status and reason: nothing changes. Same status: the
 * transition time stays. The condition moves to the end, as kube's filterOutCondition + append.
 */
export function setCondition(status: DeploymentStatus, c: DeploymentCondition): void {
  const cur = getCondition(status, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  const next = { ...c };
  if (cur && cur.status === c.status) next.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== c.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  const rest = (status.conditions ?? []).filter((x) => x.type !== type);
  status.conditions = rest.length ? rest : undefined;
}

export const hasProgressDeadline = (d: Deployment): boolean => d.spec?.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== MAX_INT32;
export const hasRevisionHistoryLimit = (d: Deployment): boolean => d.spec?.revisionHistoryLimit !== undefined && d.spec.revisionHistoryLimit !== MAX_INT32;

/** Every desired replica updated and available, no old one left, and this generation observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** New pods scaled up, ready or available, or old ones scaled down, since the stored status. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** The Progressing condition is older than progressDeadlineSeconds (or says so already). */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs = Date.now()): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, PROGRESSING);
  if (!c) return false;
  // a finished rollout is not judged again (the status may lag a new RS's creation)
  if (c.reason === NEW_RS_AVAILABLE) return false;
  if (c.reason === TIMED_OUT) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  if (!Number.isFinite(from)) return false;
  return from + d.spec!.progressDeadlineSeconds! * 1000 < nowMs;
}
