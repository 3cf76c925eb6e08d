// Rollback through the `deprecated.deployment.rollback.to` annotation (what extensions/v1beta1's
// rollbackTo becomes in apps/v1; kubectl rollout undo patches the template itself instead): copy the
// template of the RS with that revision (0: the previous one) into the deployment, drop the
// annotation, and record what happened.
import { DEPLOYMENTS, type Deployment, type ReplicaSet } from '@skiff/api';
import { ANNOTATIONS_TO_SKIP, revisionOf, ROLLBACK_TO_ANNOTATION } from './annotations.ts';
import { nsOf, type SyncEnv, type Work } from './context.ts';
import { equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './hash.ts';
import { getAllReplicaSetsAndSyncRevision } from './sync.ts';

export const ROLLBACK_REVISION_NOT_FOUND = 'DeploymentRollbackRevisionNotFound';
export const ROLLBACK_TEMPLATE_UNCHANGED = 'DeploymentRollbackTemplateUnchanged';
export const ROLLBACK_DONE = 'DeploymentRollback';

/** The revision asked for, if the annotation holds a number. */
export function getRollbackTo(d: Deployment): number | undefined {
  const v = d.metadata.annotations?.[ROLLBACK_TO_ANNOTATION];
  if (!v || !/^[+-]?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** The second highest revision (the one before the current). */
function lastRevision(rss: ReplicaSet[]): number {
  let max = 0;
  let second = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (v === undefined) continue;
    if (v >= max) {
      second = max;
      max = v;
    } else if (v > second) second = v;
  }
  return second;
}

export async function rollback(env: SyncEnv, w: Work): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(env, w, true);
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  let to = getRollbackTo(w.d)!;
  const warn = (reason: string, message: string) => env.recorder.record(w.d, { type: 'Warning', reason, message });
  if (to === 0) {
    to = lastRevision(all);
    if (to === 0) {
      warn(ROLLBACK_REVISION_NOT_FOUND, 'Unable to find last revision.');
      return updateAndClearRollbackTo(env, w, w.d);
    }
  }
  const rs = all.find((x) => revisionOf(x) === to);
  if (!rs) {
    warn(ROLLBACK_REVISION_NOT_FOUND, 'Unable to find the revision to rollback to.');
    return updateAndClearRollbackTo(env, w, w.d);
  }
  if (equalIgnoreHash(w.d.spec?.template, rs.spec?.template)) {
    warn(ROLLBACK_TEMPLATE_UNCHANGED, `The rollback revision contains the same template as current deployment "${w.d.metadata.name}"`);
    return updateAndClearRollbackTo(env, w, w.d);
  }
  const template = structuredClone(rs.spec!.template!);
  if (template.metadata?.labels) {
    const { [POD_TEMPLATE_HASH_LABEL]: _, ...labels } = template.metadata.labels;
    template.metadata = { ...template.metadata, labels };
  }
  // the RS's annotations replace the deployment's, but for those never copied
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(w.d.metadata.annotations ?? {})) if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  const d: Deployment = { ...w.d, metadata: { ...w.d.metadata, annotations }, spec: { ...w.d.spec!, template } };
  await updateAndClearRollbackTo(env, w, d);
  env.recorder.record(w.d, { type: 'Normal', reason: ROLLBACK_DONE, message: `Rolled back deployment "${w.d.metadata.name}" to revision ${to}` });
}

async function updateAndClearRollbackTo(env: SyncEnv, w: Work, d: Deployment): Promise<void> {
  const annotations = { ...d.metadata.annotations };
  delete annotations[ROLLBACK_TO_ANNOTATION];
  const body: Deployment = { ...d, metadata: { ...d.metadata, resourceVersion: w.stored.metadata.resourceVersion, annotations } };
  const out = (await env.kernel.update(DEPLOYMENTS, body)) as Deployment;
  env.tracker.wrote(w.key, out, env.cachedDeployment(nsOf(out), out.metadata.name!));
  w.stored = out;
  w.d = { ...out, status: w.d.status };
}
