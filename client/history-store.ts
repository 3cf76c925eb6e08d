// Writing ControllerRevisions, as kube's history.realHistory: create under a name free for the data
// (each name taken by other data raises the collision count), and re-number with retries on conflicts.
import { CONTROLLER_REVISIONS, isAlreadyExists, isConflict, type ControllerRevision, type KObject } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { hashControllerRevision, revisionDataJson, revisionName } from './history.ts';

/**
 * CreateControllerRevision: store `rev` as "<parent>-<hash of its data and collisionCount>"; a name
 * held by a revision with the same data is that revision, one held by other data raises the count
 * and tries the next name. Returns what is stored and the collision count it took.
 */
export async function createControllerRevision(
  kernel: Kernel,
  parent: KObject,
  rev: ControllerRevision,
  collisionCount: number,
): Promise<{ rev: ControllerRevision; collisionCount: number }> {
  const json = revisionDataJson(rev);
  for (;;) {
    const name = revisionName(parent.metadata.name!, hashControllerRevision(json, collisionCount));
    const clone = { ...rev, metadata: { ...rev.metadata, name, namespace: parent.metadata.namespace } };
    try {
      return { rev: (await kernel.create(CONTROLLER_REVISIONS, clone)) as ControllerRevision, collisionCount };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const exists = (await kernel.get(CONTROLLER_REVISIONS, parent.metadata.namespace, name)) as ControllerRevision;
      if (revisionDataJson(exists) === json) return { rev: exists, collisionCount };
      collisionCount++;
    }
  }
}

/** UpdateControllerRevision: give a revision a new number (a roll back to it), retrying conflicts on a fresh read. */
export async function updateControllerRevision(kernel: Kernel, rev: ControllerRevision, revision: number): Promise<ControllerRevision> {
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
