// A StatefulSet's history in the store, as kube's history.realHistory and the revision steps of
// stateful_set_control.go: find or create the update revision (re-numbering an equal older one on a
// roll back), keep the current one, adopt orphans, and delete what exceeds revisionHistoryLimit.
import { CONTROLLER_REVISIONS, getControllerOf, isAlreadyExists, isConflict, isNotFound, newControllerRef, type ControllerRevision, type Pod, type StatefulSet } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { podRevision, STS_API_VERSION, STS_KIND } from './identity.ts';
import { dataJson, equalRevision, hashRevisionData, newRevision, nextRevision, revisionName } from './revisions.ts';

export interface Revisions {
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
}

/** Store `rev` under a name free for it, raising collisionCount on each name taken by other data. */
export async function createRevision(kernel: Kernel, set: StatefulSet, rev: ControllerRevision, collisionCount: number): Promise<{ rev: ControllerRevision; collisionCount: number }> {
  const json = dataJson(rev);
  for (;;) {
    const name = revisionName(set.metadata.name!, hashRevisionData(json, collisionCount));
    const clone = { ...rev, metadata: { ...rev.metadata, name, namespace: set.metadata.namespace } };
    try {
      return { rev: (await kernel.create(CONTROLLER_REVISIONS, clone)) as ControllerRevision, collisionCount };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const exists = (await kernel.get(CONTROLLER_REVISIONS, set.metadata.namespace, name)) as ControllerRevision;
      if (dataJson(exists) === json) return { rev: exists, collisionCount };
      collisionCount++;
    }
  }
}

/** Give an existing revision a new number (a roll back to it), retrying on conflicts. */
export async function renumberRevision(kernel: Kernel, rev: ControllerRevision, revision: number): Promise<ControllerRevision> {
  let cur = rev;
  for (let attempt = 0; ; attempt++) {
    if (cur.revision === revision) return cur;
    try {
      return (await kernel.update(CONTROLLER_REVISIONS, { ...cur, revision })) as ControllerRevision;
    } catch (e) {
      if (!isConflict(e) || attempt >= 4) throw e;
      cur = (await kernel.get(CONTROLLER_REVISIONS, cur.metadata.namespace, cur.metadata.name!)) as ControllerRevision;
    }
  }
}

/** Adopt revisions without a controller (they matched the set's selector). */
export async function adoptRevisions(kernel: Kernel, set: StatefulSet, revs: ControllerRevision[]): Promise<void> {
  for (const r of revs) {
    if (getControllerOf(r)) continue;
    const ownerReferences = [...(r.metadata.ownerReferences ?? []), newControllerRef(set, STS_API_VERSION, STS_KIND)];
    try {
      await kernel.update(CONTROLLER_REVISIONS, { ...r, metadata: { ...r.metadata, ownerReferences } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/**
 * The current and update revisions of `set` (getStatefulSetRevisions): the update revision is the
 * set's template now, the last revision when equal, an equal older one re-numbered, or a new one;
 * the current one is status.currentRevision, or the update revision when there is none yet.
 */
export async function resolveRevisions(kernel: Kernel, set: StatefulSet, sorted: ControllerRevision[]): Promise<Revisions> {
  let collisionCount = set.status?.collisionCount ?? 0;
  const candidate = newRevision(set, nextRevision(sorted), collisionCount);
  const equal = sorted.filter((r) => equalRevision(r, candidate));
  let update: ControllerRevision;
  if (equal.length && equalRevision(sorted[sorted.length - 1], equal[equal.length - 1])) {
    update = sorted[sorted.length - 1];
  } else if (equal.length) {
    update = await renumberRevision(kernel, equal[equal.length - 1], candidate.revision);
  } else {
    ({ rev: update, collisionCount } = await createRevision(kernel, set, candidate, collisionCount));
  }
  const current = sorted.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/**
 * Delete the oldest revisions no pod, nor the current or update revision, uses, beyond
 * revisionHistoryLimit (a negative limit keeps everything).
 */
export async function truncateHistory(kernel: Kernel, set: StatefulSet, pods: Pod[], sorted: ControllerRevision[], live: (ControllerRevision | undefined)[]): Promise<void> {
  const keep = new Set<string>();
  for (const r of live) if (r) keep.add(r.metadata.name!);
  for (const p of pods) keep.add(podRevision(p));
  const history = sorted.filter((r) => !keep.has(r.metadata.name!));
  const limit = set.spec?.revisionHistoryLimit ?? 10;
  if (limit < 0 || history.length <= limit) return;
  for (const r of history.slice(0, history.length - limit)) {
    try {
      await kernel.delete(CONTROLLER_REVISIONS, r.metadata.namespace, r.metadata.name!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
