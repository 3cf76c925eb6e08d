// DaemonSet history, as kube's daemon controller keeps it: one ControllerRevision per distinct pod
// template, named "<ds>-<hash>", its data the patch that restores the template
// ({"spec":{"template":{..., "$patch":"replace"}}}), its revision one above every older one. The
// current one is found by comparing that patch; duplicates are merged (pods relabelled to the one
// kept); old ones beyond revisionHistoryLimit go, oldest first, unless a pod still has their hash.
import {
  CONTROLLER_REVISIONS, DAEMON_SETS, PODS, isAlreadyExists, selectorMatches,
  type ControllerRevision, type DaemonSet, type OwnerReference, type Pod,
} from '@skiff/api';
import {
  computeHash, ControllerRefManager, maxRevision, recheckDeletionTimestamp, revisionMatches, templatePatch, updateControllerRevision,
} from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import { REVISION_HASH_LABEL } from './pod-template.ts';

/** getPatch: what a revision stores for a DaemonSet (its template, to be restored by replacement). */
export const revisionData = (ds: DaemonSet) => templatePatch(ds.spec?.template);

export interface HistoryContext {
  kernel: Kernel;
  ds: DaemonSet;
  controllerRef: OwnerReference;
  /** the revisions in the DaemonSet's namespace (from the informer) */
  revisions: readonly ControllerRevision[];
  /** the DaemonSet's pods (claimed), for relabelling when duplicates are merged */
  pods(): Promise<Pod[]>;
}

export interface History {
  cur: ControllerRevision;
  old: ControllerRevision[];
  /** the current revision's hash: the controller-revision-hash of new pods */
  hash: string;
}

export async function constructHistory(h: HistoryContext): Promise<History> {
  const { kernel, ds } = h;
  const owned = await new ControllerRefManager<ControllerRevision>({
    kernel, ref: CONTROLLER_REVISIONS, owner: ds, controllerRef: h.controllerRef,
    match: (r) => selectorMatches(ds.spec?.selector ?? {}, r.metadata.labels ?? {}),
    canAdopt: recheckDeletionTimestamp(kernel, DAEMON_SETS, ds),
  }).claim(h.revisions);
  const current: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (let rev of owned) {
    if (rev.metadata.labels?.[REVISION_HASH_LABEL] === undefined) {
      // the name stands in for the hash (no recomputation, so no collision to worry about)
      const next = structuredClone(rev);
      next.metadata.labels = { ...(rev.metadata.labels ?? {}), [REVISION_HASH_LABEL]: rev.metadata.name! };
      rev = (await kernel.update(CONTROLLER_REVISIONS, next)) as ControllerRevision;
    }
    (revisionMatches(ds, rev) ? current : old).push(rev);
  }
  const nextRevision = maxRevision(old) + 1;
  let cur: ControllerRevision;
  if (current.length === 0) {
    cur = await snapshot(kernel, ds, h.controllerRef, nextRevision);
  } else {
    cur = await dedup(h, current);
    if ((cur.revision ?? 0) < nextRevision) {
      // the template went back to an older revision: it becomes the newest
      cur = await updateControllerRevision(kernel, cur, nextRevision);
    }
  }
  return { cur, old, hash: cur.metadata.labels?.[REVISION_HASH_LABEL] ?? '' };
}

/** Create the revision of the current template; a name taken by another template bumps collisionCount. */
async function snapshot(kernel: Kernel, ds: DaemonSet, controllerRef: OwnerReference, revision: number): Promise<ControllerRevision> {
  const hash = computeHash(ds.spec?.template, ds.status?.collisionCount);
  const name = `${ds.metadata.name}-${hash}`;
  const rev: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: ds.metadata.namespace,
      labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ownerReferences: [controllerRef],
    },
    data: revisionData(ds),
    revision,
  };
  if (ds.metadata.annotations) rev.metadata.annotations = { ...ds.metadata.annotations };
  try {
    return (await kernel.create(CONTROLLER_REVISIONS, rev)) as ControllerRevision;
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = (await kernel.get(CONTROLLER_REVISIONS, ds.metadata.namespace, name)) as ControllerRevision;
    if (revisionMatches(ds, existing)) return existing;
    // a hash collision: bump collisionCount (unless ours was stale) and try again later
    const fresh = (await kernel.get(DAEMON_SETS, ds.metadata.namespace, ds.metadata.name!)) as DaemonSet;
    if ((fresh.status?.collisionCount ?? null) !== (ds.status?.collisionCount ?? null)) {
      throw new Error(`found a stale collision count (${ds.status?.collisionCount}, expected ${fresh.status?.collisionCount}) of DaemonSet "${ds.metadata.name}" while processing; will retry until it is updated`);
    }
    const status = { ...(fresh.status ?? {}), collisionCount: (fresh.status?.collisionCount ?? 0) + 1 };
    await kernel.update(DAEMON_SETS, { ...fresh, status } as DaemonSet, { subresource: 'status' });
    throw e;
  }
}

/** dedupCurHistories: keep the highest revision, relabel pods to its hash, delete the others. */
async function dedup(h: HistoryContext, current: ControllerRevision[]): Promise<ControllerRevision> {
  if (current.length === 1) return current[0];
  let keep = current[0];
  for (const r of current) if ((r.revision ?? 0) >= (keep.revision ?? 0)) keep = r;
  const hash = keep.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
  for (const pod of await h.pods()) {
    if (pod.metadata.labels?.[REVISION_HASH_LABEL] === hash) continue;
    await h.kernel.patch(PODS, pod.metadata.namespace, pod.metadata.name!, 'merge', { metadata: { labels: { [REVISION_HASH_LABEL]: hash } } });
  }
  for (const r of current) {
    if (r.metadata.name === keep.metadata.name) continue;
    await h.kernel.delete(CONTROLLER_REVISIONS, r.metadata.namespace, r.metadata.name!);
  }
  return keep;
}

/** cleanupHistory: old revisions beyond the limit go, oldest first, except those live pods were made from. */
export async function cleanupHistory(kernel: Kernel, ds: DaemonSet, old: readonly ControllerRevision[], pods: readonly Pod[]): Promise<void> {
  let toKill = old.length - (ds.spec?.revisionHistoryLimit ?? 10);
  if (toKill <= 0) return;
  const live = new Set<string>();
  for (const p of pods) {
    const hash = p.metadata.labels?.[REVISION_HASH_LABEL];
    if (hash) live.add(hash);
  }
  for (const rev of [...old].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))) {
    if (toKill <= 0) break;
    if (live.has(rev.metadata.labels?.[REVISION_HASH_LABEL] ?? '')) continue;
    await kernel.delete(CONTROLLER_REVISIONS, rev.metadata.namespace, rev.metadata.name!);
    toKill--;
  }
}
