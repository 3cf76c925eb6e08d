// The RollingUpdate strategy (kube's rolling.go): each pass either grows the new ReplicaSet up to
// replicas + maxSurge pods in all, or shrinks old ones while at least replicas - maxUnavailable
// stay available (unhealthy old replicas first, oldest RSs first), then syncs the status.
import type { ReplicaSet } from '@skiff/api';
import { deploymentComplete } from './conditions.ts';
import type { SyncEnv, Work } from './context.ts';
import { syncRolloutStatus } from './progress.ts';
import { byCreation } from './replica-sets.ts';
import { availableBound, filterActive, maxUnavailable, newRSNewReplicas, replicasOf, specReplicas } from './replicas.ts';
import { cleanupDeployment, current, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './sync.ts';

export async function rolloutRolling(env: SyncEnv, w: Work): Promise<void> {
  const first = await getAllReplicaSetsAndSyncRevision(env, w, true);
  const newRS = first.newRS!;
  const status = async () => {
    const c = current(w, newRS);
    await syncRolloutStatus(env, w, [...c.oldRSs, c.newRS], c.newRS);
  };
  if (await reconcileNewReplicaSet(env, w, [...first.oldRSs, newRS], newRS)) return status();
  const c = current(w, newRS);
  if (await reconcileOldReplicaSets(env, w, [...c.oldRSs, c.newRS!], filterActive(c.oldRSs), c.newRS!)) return status();
  if (deploymentComplete(w.d, w.d.status ?? {})) await cleanupDeployment(env, w, current(w, newRS).oldRSs);
  return status();
}

async function reconcileNewReplicaSet(env: SyncEnv, w: Work, allRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const replicas = replicasOf(w.d);
  if (replicasOf(newRS) === replicas) return false;
  if (replicasOf(newRS) > replicas) return (await scaleReplicaSetAndRecordEvent(env, w, newRS, replicas)).scaled;
  return (await scaleReplicaSetAndRecordEvent(env, w, newRS, newRSNewReplicas(w.d, allRSs, newRS))).scaled;
}

async function reconcileOldReplicaSets(env: SyncEnv, w: Work, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false; // nothing left to scale down
  const minAvailable = replicasOf(w.d) - maxUnavailable(w.d);
  // New pods not available yet count against the budget: scaling old ones down now could leave
  // fewer than minAvailable if the new ones never become available. Unhealthy old replicas can go
  // first at no cost.
  const newUnavailable = replicasOf(newRS) - availableBound(newRS);
  const maxScaledDown = specReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = await cleanupUnhealthyReplicas(env, w, oldRSs, maxScaledDown);
  const olds = cleaned.oldRSs;
  const scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(env, w, [...olds, newRS], olds);
  return cleaned.count + scaledDown > 0;
}

/** Scale old RSs down by their unavailable replicas (the RS controller deletes those pods first). */
async function cleanupUnhealthyReplicas(env: SyncEnv, w: Work, oldRSs: ReplicaSet[], maxCleanup: number): Promise<{ oldRSs: ReplicaSet[]; count: number }> {
  const olds = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < olds.length; i++) {
    if (total >= maxCleanup) break;
    const rs = olds[i];
    const size = replicasOf(rs);
    const unhealthy = size - availableBound(rs);
    if (size === 0 || unhealthy === 0) continue;
    const n = Math.min(maxCleanup - total, unhealthy);
    const r = await scaleReplicaSetAndRecordEvent(env, w, rs, size - n);
    total += n;
    olds[i] = r.rs;
  }
  return { oldRSs: olds, count: total };
}

/** Scale old RSs down, oldest first, as far as availability above minAvailable allows. */
async function scaleDownOldReplicaSetsForRollingUpdate(env: SyncEnv, w: Work, allRSs: ReplicaSet[], oldRSs: ReplicaSet[]): Promise<number> {
  const minAvailable = replicasOf(w.d) - maxUnavailable(w.d);
  const available = allRSs.reduce((n, rs) => n + availableBound(rs), 0);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= budget) break;
    const size = replicasOf(rs);
    if (size === 0) continue;
    const n = Math.min(size, budget - total);
    await scaleReplicaSetAndRecordEvent(env, w, rs, size - n);
    total += n;
  }
  return total;
}
