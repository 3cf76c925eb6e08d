// The StatefulSet controller (kube's pkg/controller/statefulset): pods with stable ordinal names and
// identities, created in order or in parallel, scaled down from the highest ordinal, rolled to the
// update revision under a partition, with claims from volumeClaimTemplates and ControllerRevisions as
// history. Builtin name: statefulset-controller.
import {
  CONTROLLER_REVISIONS, getControllerOf, PODS, PVCS, STATEFUL_SETS,
  type ControllerRevision, type KObject, type PersistentVolumeClaim, type Pod, type StatefulSet,
} from '@skiff/api';
import { CONTROLLER_INDEX, controllerIndexKey, defineController, objectKey, ORPHAN_INDEX, orphanIndexKey, splitKey } from '@skiff/client';
import { Claimer, ORPHAN_POD_INDEX, orphanPodIndex } from './adoption.ts';
import { StatefulSetControl } from './control.ts';
import { parentAndOrdinal, replicasOf, STS_API_VERSION, STS_KIND } from './identity.ts';
import { StatefulPodControl } from './pod-control.ts';
import { untilNextAvailable } from './status.ts';

/** The set an orphan pod's name makes it a member of. */
function podParentKey(pod: KObject): string[] {
  const { parent } = parentAndOrdinal(pod.metadata.name);
  return parent ? [`${pod.metadata.namespace}/${parent}`] : [];
}

/** The sets a claim's owner references point at (directly, or through a pod of theirs). */
function claimOwnerKeys(pvc: KObject, old?: KObject): string[] {
  const keys = new Set<string>();
  for (const o of [pvc, old]) {
    for (const r of o?.metadata.ownerReferences ?? []) {
      if (r.kind === STS_KIND && r.apiVersion === 'apps/v1') keys.add(`${o!.metadata.namespace}/${r.name}`);
      else if (r.kind === 'Pod' && r.apiVersion === 'v1') for (const k of podParentKey({ ...o!, metadata: { ...o!.metadata, name: r.name } })) keys.add(k);
    }
  }
  return [...keys];
}

export default defineController({
  name: 'statefulset-controller',
  version: '0.1.0',
  for: STATEFUL_SETS,
  owns: [{ ref: PODS, orphanKeys: podParentKey }],
  // a claim deleted by the garbage collector unblocks the pod it was stale for
  watches: [{ ref: PVCS, map: claimOwnerKeys }],
  setup(c) {
    const sets = c.informer<StatefulSet>(STATEFUL_SETS);
    const pods = c.informer<Pod>(PODS);
    const revisions = c.informer<ControllerRevision>(CONTROLLER_REVISIONS);
    const claims = c.informer<PersistentVolumeClaim>(PVCS);
    pods.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey, [ORPHAN_POD_INDEX]: orphanPodIndex });
    revisions.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey, [ORPHAN_INDEX]: orphanIndexKey });

    // creates and deletes in flight, expected by pod key under the set that issued them: a set
    // whose last writes the informer has not shown yet waits (the event that shows one wakes it)
    const exp = c.expectations;
    const setKeyOf = (p: Pod) => {
      const ref = getControllerOf(p);
      return ref?.kind === STS_KIND && ref.apiVersion === STS_API_VERSION ? `${p.metadata.namespace}/${ref.name}` : undefined;
    };
    const deletionSeen = (p: Pod) => {
      const key = setKeyOf(p);
      if (key) exp.deletionObserved(key, objectKey(p));
    };
    const offPods = pods.addEventHandler({
      onAdd(p) {
        const key = setKeyOf(p);
        if (key) exp.creationObserved(key, objectKey(p));
      },
      onUpdate: (old, p) => void (p.metadata.deletionTimestamp && !old.metadata.deletionTimestamp && deletionSeen(p)),
      onDelete: deletionSeen,
    });
    c.signal.addEventListener('abort', offPods, { once: true });
    const podControl = new StatefulPodControl(c.kernel, c.recorder, pods.lister, claims.lister, exp);
    const control = new StatefulSetControl(c.kernel, podControl);
    const claimer = new Claimer(c.kernel, pods.lister, revisions.lister);

    return async (key) => {
      const { namespace, name } = splitKey(key);
      const set = sets.lister.get(namespace, name);
      if (!set) {
        exp.forget(key);
        return;
      }
      // what this set last did is not in the informers yet: their events bring it back (the
      // requeue is a safety net for expectations that only expire)
      if (!exp.satisfied(key)) return { requeueAfterMs: 30_000 };
      const revs = await claimer.claimRevisions(set);
      const owned = await claimer.claimPods(set);
      const status = await control.update(set, owned, revs);
      // again when the next ready pod becomes available (kube re-enqueues after minReadySeconds)
      const minReady = set.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && status.availableReplicas !== replicasOf(set))
        return { requeueAfterMs: untilNextAvailable(owned, minReady, Date.now()) ?? minReady * 1000 };
    };
  },
});
