// The controller's writes: ReplicaSet create / update / delete and the Deployment's status and
// revision annotation. Each keeps the Work current and tells the tracker what the informers must
// deliver before the Deployment is reconciled again. ReplicaSet updates carry the resourceVersion
// they were decided from (a stale copy is a 409 and a retry, never a blind overwrite).
import { DEPLOYMENTS, REPLICA_SETS, type Deployment, type ReplicaSet } from '@skiff/api';
import { REVISION_ANNOTATION } from './annotations.ts';
import { nsOf, type SyncEnv, type Work } from './context.ts';

function replace(w: Work, rs: ReplicaSet): void {
  const i = w.rsList.findIndex((x) => x.metadata.uid === rs.metadata.uid);
  if (i >= 0) w.rsList[i] = rs;
  else w.rsList.push(rs);
}

export async function createReplicaSet(env: SyncEnv, w: Work, rs: ReplicaSet): Promise<ReplicaSet> {
  const out = (await env.kernel.create(REPLICA_SETS, rs)) as ReplicaSet;
  env.tracker.wrote(w.key, out, env.cachedReplicaSet(nsOf(out), out.metadata.name!));
  replace(w, out);
  return out;
}

export async function updateReplicaSet(env: SyncEnv, w: Work, rs: ReplicaSet): Promise<ReplicaSet> {
  const sent = rs.metadata.resourceVersion;
  const out = (await env.kernel.update(REPLICA_SETS, rs)) as ReplicaSet;
  // an update that changed nothing is no write: no event will come for it
  if (out.metadata.resourceVersion !== sent) env.tracker.wrote(w.key, out, env.cachedReplicaSet(nsOf(out), out.metadata.name!));
  replace(w, out);
  return out;
}

export async function deleteReplicaSet(env: SyncEnv, w: Work, rs: ReplicaSet): Promise<void> {
  await env.kernel.delete(REPLICA_SETS, nsOf(rs), rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
  env.tracker.deleted(w.key, rs, env.cachedReplicaSet(nsOf(rs), rs.metadata.name!));
  w.rsList = w.rsList.filter((x) => x.metadata.uid !== rs.metadata.uid);
}

function stored(env: SyncEnv, w: Work, out: Deployment, sent: string | undefined): void {
  if (out.metadata.resourceVersion !== sent) env.tracker.wrote(w.key, out, env.cachedDeployment(nsOf(out), out.metadata.name!));
  w.stored = out;
}

/**
 * Write the working Deployment: its revision annotation when it differs from the stored one (a
 * metadata patch: the status subresource keeps metadata as stored), then its status when asked.
 */
export async function writeDeployment(env: SyncEnv, w: Work, opts: { status: boolean }): Promise<void> {
  const revision = w.d.metadata.annotations?.[REVISION_ANNOTATION];
  if (revision !== undefined && revision !== w.stored.metadata.annotations?.[REVISION_ANNOTATION]) {
    const sent = w.stored.metadata.resourceVersion;
    const patch = { metadata: { resourceVersion: sent, annotations: { [REVISION_ANNOTATION]: revision } } };
    stored(env, w, (await env.kernel.patch(DEPLOYMENTS, nsOf(w.d), w.d.metadata.name!, 'merge', patch)) as Deployment, sent);
  }
  if (opts.status) {
    const sent = w.stored.metadata.resourceVersion;
    const body = { ...w.stored, status: w.d.status };
    stored(env, w, (await env.kernel.update(DEPLOYMENTS, body, { subresource: 'status' })) as Deployment, sent);
  }
  // the working copy moves to the stored metadata (resourceVersion); the status it wants stays
  w.d = { ...w.stored, metadata: { ...w.stored.metadata }, status: w.d.status };
}
