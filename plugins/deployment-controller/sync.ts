// What every path of a Deployment's reconcile shares, as kube's sync.go: finding (or creating) the
// new ReplicaSet with its revision, scaling a ReplicaSet with its Event, proportional scaling of a
// paused or resized rollout, the revision history clean-up and the plain status sync.
import {
  isAlreadyExists, isNotFound, newControllerRef, getControllerOf, REPLICA_SETS,
  type LabelSelector, type ReplicaSet,
} from '@skiff/api';
import { computeHash, isNamespaceTerminating } from '@skiff/client';
import {
  maxRevision, setDeploymentRevision, setNewReplicaSetAnnotations, setReplicasAnnotations, replicasAnnotationsNeedUpdate,
  DESIRED_REPLICAS_ANNOTATION, intAnnotation, REVISION_ANNOTATION, ROLLBACK_TO_ANNOTATION,
} from './annotations.ts';
import { FAILED_RS_CREATE, FOUND_NEW_RS, NEW_REPLICA_SET, PROGRESSING, getCondition, hasProgressDeadline, hasRevisionHistoryLimit, newCondition, setCondition } from './conditions.ts';
import { editableCopy, nsOf, type SyncEnv, type Work } from './context.ts';
import { equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './hash.ts';
import { byRevision, bySizeNewer, bySizeOlder, findActiveOrLatest, findNewReplicaSet, findOldReplicaSets } from './replica-sets.ts';
import { filterActive, getProportion, isRollingUpdate, isSaturated, maxSurge, newRSNewReplicas, replicasOf, specReplicas } from './replicas.ts';
import { calculateStatus, statusEqual } from './status.ts';
import { createReplicaSet, deleteReplicaSet, updateReplicaSet, writeDeployment } from './writes.ts';

/** The new RS (possibly undefined) and all the old ones, the new one's revision synced. */
export async function getAllReplicaSetsAndSyncRevision(env: SyncEnv, w: Work, create: boolean): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
  const oldRSs = findOldReplicaSets(w.d, w.rsList);
  const newRS = await getNewReplicaSet(env, w, oldRSs, create);
  return { newRS, oldRSs: findOldReplicaSets(w.d, w.rsList, newRS) };
}

function cloneSelectorAndAddLabel(sel: LabelSelector, key: string, value: string): LabelSelector {
  const out: LabelSelector = { matchLabels: { ...sel.matchLabels, [key]: value } };
  if (sel.matchExpressions?.length) out.matchExpressions = structuredClone(sel.matchExpressions);
  return out;
}

const setMinReadySeconds = (rs: ReplicaSet, v: number | undefined) => {
  if (v) rs.spec!.minReadySeconds = v;
  else delete rs.spec!.minReadySeconds;
};

/**
 * The RS whose template is the deployment's, its annotations (revision = max old + 1, the
 * deployment's annotations) and minReadySeconds synced, and the deployment's revision annotation;
 * created when missing and `create` (a name taken by another template is a hash collision:
 * status.collisionCount goes up and the next try hashes differently).
 */
async function getNewReplicaSet(env: SyncEnv, w: Work, oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
  const d = w.d;
  const replicas = replicasOf(d);
  const existing = findNewReplicaSet(d, w.rsList);
  const newRevision = String(maxRevision(oldRSs) + 1);
  if (existing) {
    const copy = editableCopy(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true, replicas, replicas + maxSurge(d));
    if (annotationsUpdated || (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0)) {
      setMinReadySeconds(copy, d.spec?.minReadySeconds);
      return updateReplicaSet(env, w, copy);
    }
    let statusChanged = false;
    const revisionChanged = setDeploymentRevision(d, copy.metadata.annotations?.[REVISION_ANNOTATION] ?? '');
    // a deployment that never had a Progressing condition starts counting from here
    if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING)) {
      d.status = { ...d.status };
      setCondition(d.status, newCondition(PROGRESSING, 'True', FOUND_NEW_RS, `Found new replica set "${copy.metadata.name}"`, env.now()));
      statusChanged = true;
    }
    if (revisionChanged || statusChanged) await writeDeployment(env, w, { status: statusChanged });
    return existing;
  }
  if (!create) return undefined;

  const hash = computeHash(d.spec!.template, d.status?.collisionCount);
  const template = structuredClone(d.spec!.template);
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      // deterministic, so a second create of the same RS is AlreadyExists, never a duplicate
      name: `${d.metadata.name}-${hash}`,
      namespace: nsOf(d),
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      labels: { ...template.metadata.labels },
    },
    spec: { replicas: 0, selector: cloneSelectorAndAddLabel(d.spec!.selector, POD_TEMPLATE_HASH_LABEL, hash), template },
  };
  setMinReadySeconds(rs, d.spec?.minReadySeconds);
  const count = newRSNewReplicas(d, [...oldRSs, rs], rs);
  rs.spec!.replicas = count;
  setNewReplicaSetAnnotations(d, rs, newRevision, false, replicas, replicas + maxSurge(d));

  let created: ReplicaSet;
  let alreadyExists = false;
  try {
    created = await createReplicaSet(env, w, rs);
  } catch (e) {
    if (isAlreadyExists(e)) {
      const cur = env.cachedReplicaSet(nsOf(d), rs.metadata.name!) ?? ((await env.kernel.get(REPLICA_SETS, nsOf(d), rs.metadata.name!)) as ReplicaSet);
      if (getControllerOf(cur)?.uid === d.metadata.uid && equalIgnoreHash(d.spec!.template, cur.spec?.template)) {
        created = cur; // ours: the informer had not shown it yet
        alreadyExists = true;
      } else {
        // a hash collision: another template (or owner) has this name
        d.status = { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
        await writeDeployment(env, w, { status: true });
        env.logger.info('hash collision for deployment; collisionCount bumped', { deployment: w.key, collisionCount: d.status.collisionCount });
        throw e;
      }
    } else if (isNamespaceTerminating(e)) {
      throw e; // the namespace is going away: nothing to report
    } else {
      const msg = `Failed to create new replica set "${rs.metadata.name}": ${(e as Error).message}`;
      if (hasProgressDeadline(d)) {
        d.status = { ...d.status };
        setCondition(d.status, newCondition(PROGRESSING, 'False', FAILED_RS_CREATE, msg, env.now()));
        await writeDeployment(env, w, { status: true }).catch(() => undefined); // the bigger problem is reported
      }
      env.recorder.record(d, { type: 'Warning', reason: FAILED_RS_CREATE, message: msg });
      throw e;
    }
  }
  if (!alreadyExists && count > 0) {
    env.recorder.record(d, { type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${created.metadata.name} from 0 to ${count}` });
  }
  setDeploymentRevision(d, newRevision);
  let statusChanged = false;
  if (!alreadyExists && hasProgressDeadline(d)) {
    d.status = { ...d.status };
    setCondition(d.status, newCondition(PROGRESSING, 'True', NEW_REPLICA_SET, `Created new replica set "${created.metadata.name}"`, env.now()));
    statusChanged = true;
  }
  await writeDeployment(env, w, { status: statusChanged });
  return created;
}

/** Scale `rs` to `newScale` (and sync its replica annotations); an Event when the size changed. */
export async function scaleReplicaSet(env: SyncEnv, w: Work, rs: ReplicaSet, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const d = w.d;
  const desired = replicasOf(d);
  const max = desired + maxSurge(d);
  const oldScale = replicasOf(rs);
  const sizeNeedsUpdate = oldScale !== newScale;
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
  const copy = editableCopy(rs);
  copy.spec!.replicas = newScale;
  setReplicasAnnotations(copy, desired, max);
  const out = await updateReplicaSet(env, w, copy);
  if (sizeNeedsUpdate) {
    const op = oldScale < newScale ? 'up' : 'down';
    env.recorder.record(d, { type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled ${op} replica set ${out.metadata.name} from ${oldScale} to ${newScale}` });
  }
  return { scaled: sizeNeedsUpdate, rs: out };
}

export async function scaleReplicaSetAndRecordEvent(env: SyncEnv, w: Work, rs: ReplicaSet, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if (replicasOf(rs) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(env, w, rs, newScale);
}

/**
 * Scaling a deployment (or a paused one): one active RS takes the whole size; a saturated new RS
 * means the old ones go to 0; otherwise, in a rolling update, the change is spread over the active
 * RSs in proportion to their share of the size they were made for (max-replicas), larger first,
 * the rounding leftovers to the largest.
 */
export async function scale(env: SyncEnv, w: Work, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
  const d = w.d;
  const replicas = replicasOf(d);
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (replicasOf(activeOrLatest) !== replicas) await scaleReplicaSetAndRecordEvent(env, w, activeOrLatest, replicas);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of filterActive(oldRSs)) await scaleReplicaSetAndRecordEvent(env, w, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = filterActive([...oldRSs, newRS]);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = getProportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name!, replicasOf(rs) + p);
      added += p;
    } else sizes.set(rs.metadata.name!, replicasOf(rs));
  }
  for (let i = 0; i < all.length; i++) {
    const rs = all[i];
    const name = rs.metadata.name!;
    if (i === 0 && toAdd !== 0) sizes.set(name, Math.max(0, sizes.get(name)! + toAdd - added));
    await scaleReplicaSet(env, w, rs, sizes.get(name)!);
  }
}

/**
 * Keep revisionHistoryLimit old RSs: delete the lowest revisions beyond it, only those scaled to 0
 * with no pods left and their spec observed (never one being deleted).
 */
export async function cleanupDeployment(env: SyncEnv, w: Work, oldRSs: ReplicaSet[]): Promise<void> {
  const d = w.d;
  if (!hasRevisionHistoryLimit(d)) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - d.spec!.revisionHistoryLimit!;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i];
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await deleteReplicaSet(env, w, rs);
    } catch (e) {
      if (!isNotFound(e)) throw e; // stop here rather than pile on more deletes
    }
  }
}

/** Write the status calculateStatus gives, when it differs from the stored one. */
export async function syncDeploymentStatus(env: SyncEnv, w: Work, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const next = calculateStatus(w.d, allRSs, newRS, env.now());
  if (statusEqual(w.d.status, next)) return;
  w.d.status = next;
  await writeDeployment(env, w, { status: true });
}

/** Scaling (or paused): proportional scaling, history clean-up when paused, status. */
export async function syncScaling(env: SyncEnv, w: Work): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(env, w, false);
  await scale(env, w, newRS, oldRSs);
  const cur = current(w, newRS);
  if (w.d.spec?.paused && !w.d.metadata.annotations?.[ROLLBACK_TO_ANNOTATION]) await cleanupDeployment(env, w, cur.oldRSs);
  const after = current(w, newRS);
  await syncDeploymentStatus(env, w, [...after.oldRSs, after.newRS], after.newRS);
}

/** A deployment being deleted: status only. */
export async function syncStatusOnly(env: SyncEnv, w: Work): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(env, w, false);
  await syncDeploymentStatus(env, w, [...oldRSs, newRS], newRS);
}

/** The new RS picked earlier and the old ones, as this reconcile's writes left them. */
export function current(w: Work, newRS: ReplicaSet | undefined): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
  const cur = newRS && w.rsList.find((x) => x.metadata.uid === newRS.metadata.uid);
  return { newRS: cur, oldRSs: findOldReplicaSets(w.d, w.rsList, cur) };
}

/** Has the desired size changed since the active RSs were annotated (a scaling event)? */
export async function isScalingEvent(env: SyncEnv, w: Work): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(env, w, false);
  for (const rs of filterActive([...oldRSs, newRS])) {
    const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
    if (desired !== undefined && desired !== replicasOf(w.d)) return true;
  }
  return false;
}
