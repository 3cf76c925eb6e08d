// The rollout's status with progress estimation (kube's progress.go): Progressing says the new RS
// was created, is progressing, has successfully progressed, or has not progressed within
// progressDeadlineSeconds; RS ReplicaFailure conditions surface on the Deployment; a deployment
// with no sign of progress is looked at again when its deadline would pass.
import type { DeploymentCondition, ReplicaSet } from '@skiff/api';
import {
  NEW_RS_AVAILABLE, PROGRESSING, REPLICA_FAILURE, REPLICA_SET_UPDATED, TIMED_OUT,
  deploymentComplete, deploymentProgressing, deploymentTimedOut, getCondition, hasProgressDeadline, newCondition, removeCondition, setCondition,
} from './conditions.ts';
import type { SyncEnv, Work } from './context.ts';
import { calculateStatus, compactStatus, statusEqual } from './status.ts';
import { writeDeployment } from './writes.ts';

/** ReplicaFailure conditions of the new RS, else of any RS. */
function replicaFailures(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentCondition[] {
  const from = (rs: ReplicaSet) =>
    (rs.status?.conditions ?? [])
      .filter((c) => c.type === REPLICA_FAILURE)
      .map((c): DeploymentCondition => ({ type: c.type, status: c.status, lastTransitionTime: c.lastTransitionTime, lastUpdateTime: c.lastTransitionTime, reason: c.reason, message: c.message }));
  const mine = newRS ? from(newRS) : [];
  if (mine.length) return mine;
  return allRSs.flatMap((rs) => (rs ? from(rs) : []));
}

export async function syncRolloutStatus(env: SyncEnv, w: Work, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const d = w.d;
  const now = env.now();
  const next = calculateStatus(d, allRSs, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(next, PROGRESSING);

  // a finished rollout being resynced: no progress to estimate
  const current = getCondition(d.status, PROGRESSING);
  const isComplete = (next.replicas ?? 0) === (next.updatedReplicas ?? 0) && current?.reason === NEW_RS_AVAILABLE;
  if (hasProgressDeadline(d) && !isComplete) {
    if (deploymentComplete(d, next)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` : `Deployment "${d.metadata.name}" has successfully progressed.`;
      setCondition(next, newCondition(PROGRESSING, 'True', NEW_RS_AVAILABLE, msg, now));
    } else if (deploymentProgressing(d, next)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`;
      const c = newCondition(PROGRESSING, 'True', REPLICA_SET_UPDATED, msg, now);
      // progress moves lastUpdateTime even when the reason stays (setCondition would keep the old one)
      if (current) {
        if (current.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
        removeCondition(next, PROGRESSING);
      }
      setCondition(next, c);
    } else if (deploymentTimedOut(d, next, now)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(next, newCondition(PROGRESSING, 'False', TIMED_OUT, msg, now));
    }
  }

  const failures = replicaFailures(allRSs, newRS);
  if (failures.length) setCondition(next, failures[0]);
  else removeCondition(next, REPLICA_FAILURE);

  const status = compactStatus(next);
  if (statusEqual(d.status, status)) {
    w.requeueAfterMs = stuckRequeue(w, status, now);
    return;
  }
  d.status = status;
  await writeDeployment(env, w, { status: true });
}

/**
 * When to look again at a deployment showing no progress: when its Progressing condition's
 * lastUpdateTime + progressDeadlineSeconds passes (plus a second of skew), so the timeout is
 * reported without waiting for a resync.
 */
function stuckRequeue(w: Work, status: ReturnType<typeof compactStatus>, now: number): number | undefined {
  const d = w.d;
  const c = getCondition(d.status, PROGRESSING);
  if (!hasProgressDeadline(d) || !c) return undefined;
  if (deploymentComplete(d, status) || c.reason === TIMED_OUT) return undefined;
  const after = Date.parse(c.lastUpdateTime ?? '') + d.spec!.progressDeadlineSeconds! * 1000 - now;
  if (!Number.isFinite(after)) return undefined;
  return Math.max(after, 0) + 1000;
}
