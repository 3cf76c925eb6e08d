// One reconcile of a Deployment, as kube's syncDeployment: claim its ReplicaSets, then by state —
// being deleted: status only; paused: scaling only; a rollback asked for; a scaling event:
// proportional scaling; otherwise a rollout step of its strategy.
import { isEmptySelector, type Deployment } from '@skiff/api';
import { splitKey, type ReconcileResult } from '@skiff/client';
import { claimReplicaSets, type ClaimSource } from './claim.ts';
import { PAUSED, PROGRESSING, RESUMED, TIMED_OUT, getCondition, hasProgressDeadline, newCondition, setCondition } from './conditions.ts';
import { nsOf, workingCopy, type SyncEnv, type Work } from './context.ts';
import { rolloutRecreate } from './recreate.ts';
import { rolloutRolling } from './rolling.ts';
import { getRollbackTo, rollback } from './rollback.ts';
import { isScalingEvent, syncScaling, syncStatusOnly } from './sync.ts';
import { writeDeployment } from './writes.ts';

export type ControllerEnv = SyncEnv & ClaimSource;

export async function syncDeployment(env: ControllerEnv, key: string): Promise<ReconcileResult | void> {
  const { namespace, name } = splitKey(key);
  const cached = env.cachedDeployment(namespace ?? '', name);
  if (!cached) {
    env.tracker.forget(key);
    return;
  }
  // decide only from caches that show this controller's own last writes (their events bring the key back)
  if (!env.tracker.caughtUp(key)) return;
  const w: Work = { key, d: workingCopy(cached), stored: cached, rsList: [] };
  const d = w.d;

  if (isEmptySelector(d.spec?.selector)) {
    env.recorder.record(d, { type: 'Warning', reason: 'SelectingAll', message: 'This deployment is selecting all pods. A non-empty selector is required.' });
    if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
      d.status = { ...d.status, observedGeneration: d.metadata.generation };
      await writeDeployment(env, w, { status: true });
    }
    return;
  }

  w.rsList = await claimReplicaSets(env.kernel, cached, env, (rs) => env.tracker.wrote(key, rs, env.cachedReplicaSet(nsOf(rs), rs.metadata.name!)));

  if (d.metadata.deletionTimestamp) {
    await syncStatusOnly(env, w);
    return;
  }
  await checkPausedConditions(env, w);
  if (w.d.spec?.paused) {
    await syncScaling(env, w);
    return result(w);
  }
  // not re-entrant: once the template is rolled back, the annotation is gone before the next step
  if (getRollbackTo(w.d) !== undefined) {
    await rollback(env, w);
    return;
  }
  if (await isScalingEvent(env, w)) {
    await syncScaling(env, w);
    return result(w);
  }
  const type = w.d.spec?.strategy?.type ?? 'RollingUpdate';
  if (type === 'Recreate') await rolloutRecreate(env, w);
  else if (type === 'RollingUpdate') await rolloutRolling(env, w);
  else throw new Error(`unexpected deployment strategy type: ${String(type)}`);
  return result(w);
}

const result = (w: Work): ReconcileResult | void => (w.requeueAfterMs !== undefined ? { requeueAfterMs: w.requeueAfterMs } : undefined);

/**
 * Progressing becomes Unknown/DeploymentPaused when paused and Unknown/DeploymentResumed when
 * resumed, so a resumed deployment is not judged on time spent paused (a reported timeout stays).
 */
async function checkPausedConditions(env: SyncEnv, w: Work): Promise<void> {
  const d: Deployment = w.d;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, PROGRESSING);
  if (cond?.reason === TIMED_OUT) return;
  const pausedCondExists = cond?.reason === PAUSED;
  let c;
  if (d.spec?.paused && !pausedCondExists) c = newCondition(PROGRESSING, 'Unknown', PAUSED, 'Deployment is paused', env.now());
  else if (!d.spec?.paused && pausedCondExists) c = newCondition(PROGRESSING, 'Unknown', RESUMED, 'Deployment is resumed', env.now());
  if (!c) return;
  d.status = { ...d.status };
  setCondition(d.status, c);
  await writeDeployment(env, w, { status: true });
}
