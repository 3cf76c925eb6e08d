// The reconcile core for one kind (ReplicaSet or ReplicationController), as kube's
// syncReplicaSet: claim pods, create or delete toward spec.replicas when expectations are
// satisfied, then write the status if it changed. Pods are found through indexes (by controller
// uid; orphans by namespace), never by scanning a namespace.
import { getControllerOf, isConflict, isNotFound, isPodActive, isPodTerminating, newControllerRef, PODS, type Pod } from '@skiff/api';
import {
  CONTROLLER_INDEX, controllerIndexKey, ControllerRefManager, ORPHAN_INDEX, orphanIndexKey, PodControl, recheckDeletionTimestamp, splitKey,
  type ControllerRuntime, type Reconcile,
} from '@skiff/client';
import type { KObject } from '@skiff/kernel';
import type { ReplicaKind, ReplicaOwner } from './kinds.ts';
import { manageReplicas } from './manage.ts';
import { calculateStatus, nextAvailableInMs, statusUnchanged } from './status.ts';

export interface ReplicaControllerConfig {
  /** creates or deletes per sync at most (kube's burstReplicas) */
  burstReplicas: number;
}

const podKey = (p: KObject) => `${p.metadata.namespace}/${p.metadata.name}`;

export function setupReplicaSync(kind: ReplicaKind, c: ControllerRuntime<ReplicaControllerConfig>): Reconcile {
  const owners = c.informer<ReplicaOwner>(kind.ref);
  const pods = c.informer<Pod>(PODS);
  owners.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey });
  pods.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey, [ORPHAN_INDEX]: orphanIndexKey });
  const podControl = new PodControl(c.kernel, c.recorder);
  const burstReplicas = c.config.burstReplicas ?? 500;

  /** The key of the owner of this kind controlling `pod`, if it is one we know (same uid). */
  const ownerKeyOf = (pod: Pod): string | undefined => {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== kind.kind || ref.apiVersion !== kind.apiVersion) return undefined;
    const owner = owners.lister.get(pod.metadata.namespace, ref.name);
    return owner && owner.metadata.uid === ref.uid ? podKey(owner) : undefined;
  };

  /** Owners whose selector matches an orphan (getPodReplicaSets: empty selectors match nothing). */
  const enqueueOwnersOf = (pod: Pod) => {
    if (getControllerOf(pod) || pod.metadata.deletionTimestamp) return;
    for (const o of owners.lister.list(pod.metadata.namespace)) {
      if (kind.emptySelector(o)) continue;
      if (kind.matcher(o)(pod.metadata.labels ?? {})) c.enqueue(o);
    }
  };

  const deletionSeen = (pod: Pod) => {
    const key = ownerKeyOf(pod);
    if (key) c.expectations.deletionObserved(key, podKey(pod));
  };

  // expectations and orphans (the kit already enqueues the owner of a controlled pod)
  const removeHandler = pods.addEventHandler({
    onAdd(pod) {
      if (pod.metadata.deletionTimestamp) return deletionSeen(pod); // created already being deleted
      const key = ownerKeyOf(pod);
      if (key) c.expectations.creationObserved(key);
      else enqueueOwnersOf(pod);
    },
    onUpdate(old, pod) {
      if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      if (pod.metadata.deletionTimestamp) return deletionSeen(pod); // graceful deletion counts as deleted
      if (getControllerOf(pod)) return;
      // an orphan now, or relabelled: the owners it may match now
      const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {});
      if (labelsChanged || getControllerOf(old)) enqueueOwnersOf(pod);
    },
    onDelete: deletionSeen,
  });
  c.signal.addEventListener('abort', removeHandler, { once: true });

  /** Pods of the owners that share this owner's controller (getIndirectlyRelatedPods). */
  const relatedPods = (owner: ReplicaOwner): Pod[] => {
    const ref = getControllerOf(owner);
    if (!ref) return [];
    const seen = new Set<string>();
    const out: Pod[] = [];
    const orphans = pods.lister.byIndex(ORPHAN_INDEX, owner.metadata.namespace ?? '');
    for (const sibling of owners.lister.byIndex(CONTROLLER_INDEX, ref.uid)) {
      const match = kind.matcher(sibling);
      for (const p of pods.lister.byIndex(CONTROLLER_INDEX, sibling.metadata.uid!).concat(orphans)) {
        if (seen.has(p.metadata.uid!) || !match(p.metadata.labels ?? {})) continue;
        seen.add(p.metadata.uid!);
        out.push(p);
      }
    }
    return out;
  };

  return async (key) => {
    const { namespace, name } = splitKey(key);
    const owner = owners.lister.get(namespace, name);
    if (!owner) {
      c.expectations.forget(key);
      return;
    }
    const needsSync = c.expectations.satisfied(key);
    const match = kind.matcher(owner);
    const controllerRef = newControllerRef(owner, kind.apiVersion, kind.kind);
    const own = pods.lister.byIndex(CONTROLLER_INDEX, owner.metadata.uid!);
    const candidates = own.concat(pods.lister.byIndex(ORPHAN_INDEX, namespace ?? '')).filter(isPodActive);
    // FilterClaimedPods(FilterTerminatingPods(...)): its own pods being deleted, still selected
    const terminating = kind.terminatingReplicas ? own.filter((p) => isPodTerminating(p) && match(p.metadata.labels ?? {})).length : undefined;
    const claimed = await new ControllerRefManager<Pod>({
      kernel: c.kernel, ref: PODS, owner, controllerRef,
      match: (p) => match(p.metadata.labels ?? {}),
      canAdopt: recheckDeletionTimestamp(c.kernel, kind.ref, owner),
    }).claim(candidates);

    let manageError: unknown;
    if (needsSync && !owner.metadata.deletionTimestamp) {
      manageError = await manageReplicas(
        { key, owner, controllerRef, expectations: c.expectations, podControl, burstReplicas, relatedPods: () => relatedPods(owner) },
        claimed,
      );
    }

    const now = Date.now();
    const status = calculateStatus(owner, claimed, manageError, now, terminating);
    let written = owner;
    if (!statusUnchanged(owner, status)) {
      status.observedGeneration = owner.metadata.generation;
      try {
        written = (await c.kernel.update(kind.ref, { ...owner, status }, { subresource: 'status' })) as ReplicaOwner;
      } catch (e) {
        // a newer version is on its way through the informer and will sync this key again
        if (!isConflict(e) && !isNotFound(e)) throw e;
      }
    }
    if (manageError !== undefined) throw manageError;
    const wait = nextAvailableInMs(claimed, written.spec?.minReadySeconds ?? 0, now);
    return wait === undefined ? undefined : { requeueAfterMs: wait };
  };
}
