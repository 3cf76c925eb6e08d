// The Recreate strategy (kube's recreate.go): scale every old ReplicaSet to 0, wait until none of
// their pods is left (terminal pods aside), and only then create the new ReplicaSet at full size.
import type { ReplicaSet } from '@skiff/api';
import { selectorMatches } from '@skiff/api';
import { deploymentComplete } from './conditions.ts';
import type { SyncEnv, Work } from './context.ts';
import { syncRolloutStatus } from './progress.ts';
import { filterActive, replicasOf } from './replicas.ts';
import { actualReplicas } from './replicas.ts';
import { cleanupDeployment, current, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './sync.ts';

export async function rolloutRecreate(env: SyncEnv, w: Work): Promise<void> {
  // no new RS yet: it is created only once the old pods are gone
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(env, w, false);
  const status = async () => {
    const c = current(w, newRS);
    await syncRolloutStatus(env, w, [...c.oldRSs, c.newRS], c.newRS);
  };
  let scaledDown = false;
  for (const rs of filterActive(oldRSs)) {
    if ((await scaleReplicaSetAndRecordEvent(env, w, rs, 0)).scaled) scaledDown = true;
  }
  if (scaledDown) return status();
  if (oldPodsRunning(env, w, newRS, current(w, newRS).oldRSs)) return status();
  if (!newRS) ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(env, w, true));
  await scaleReplicaSetAndRecordEvent(env, w, current(w, newRS).newRS!, replicasOf(w.d));
  if (deploymentComplete(w.d, w.d.status ?? {})) await cleanupDeployment(env, w, current(w, newRS).oldRSs);
  return status();
}

/** Old RSs still count pods, or pods of theirs (of the deployment's selector) are not terminal. */
function oldPodsRunning(env: SyncEnv, w: Work, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  const selector = w.d.spec?.selector;
  for (const rs of w.rsList) {
    if (newRS && rs.metadata.uid === newRS.metadata.uid) continue;
    for (const pod of env.podsOf(rs)) {
      if (!selectorMatches(selector, pod.metadata.labels ?? {})) continue;
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true; // running, pending, unknown, or terminating: not gone yet
    }
  }
  return false;
}
