// A StatefulSet's history in the store, as the revision steps of stateful_set_control.go: find or
// create the update revision (re-numbering an equal older one on a roll back; the writes are the
// client's history.realHistory), keep the current one, and delete what exceeds revisionHistoryLimit.
import { CONTROLLER_REVISIONS, isNotFound, type ControllerRevision, type Pod, type StatefulSet } from '@skiff/api';
import { createControllerRevision, equalRevision, nextRevision, updateControllerRevision } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import { podRevision } from './identity.ts';
import { newRevision } from './revisions.ts';

export interface Revisions {
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
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
    update = await updateControllerRevision(kernel, equal[equal.length - 1], candidate.revision);
  } else {
    ({ rev: update, collisionCount } = await createControllerRevision(kernel, set, candidate, collisionCount));
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
