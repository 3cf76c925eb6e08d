// The StatefulSet controller (kube's pkg/controller/statefulset): pods with stable ordinal names and
// identities, created in order or in parallel, scaled down from the highest ordinal, rolled to the
// update revision under a partition, with claims from volumeClaimTemplates and ControllerRevisions as
// history. Builtin name: statefulset-controller.
import {
  CONTROLLER_REVISIONS, PODS, PVCS, STATEFUL_SETS,
  type ControllerRevision, type KObject, type PersistentVolumeClaim, type Pod, type StatefulSet,
} from '@skiff/api';
import { CONTROLLER_INDEX, controllerIndexKey, defineController, objectKey, splitKey } from '@skiff/client';
import { Claimer, ORPHAN_POD_INDEX, ORPHAN_REVISION_INDEX, orphanPodIndex, orphanRevisionIndex } from './adoption.ts';
import { StatefulSetControl } from './control.ts';
import { parentAndOrdinal, replicasOf, STS_KIND } from './identity.ts';
import { InFlight } from './in-flight.ts';
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
    revisions.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey, [ORPHAN_REVISION_INDEX]: orphanRevisionIndex });

    const inFlight = new InFlight(c.expectations);
    pods.addEventHandler({
      onAdd: (p) => inFlight.created(objectKey(p)),
      onUpdate: (old, p) => void (p.metadata.deletionTimestamp && !old.metadata.deletionTimestamp && inFlight.deleted(objectKey(p))),
      onDelete: (p) => inFlight.deleted(objectKey(p)),
    });
    const podControl = new StatefulPodControl(c.kernel, c.recorder, pods.lister, claims.lister, inFlight);
    const control = new StatefulSetControl(c.kernel, podControl);
    const claimer = new Claimer(c.kernel, pods.lister, revisions.lister);

    return async (key) => {
      const { namespace, name } = splitKey(key);
      const set = sets.lister.get(namespace, name);
      if (!set) {
        inFlight.forget(key);
        return;
      }
      // what this set last did is not in the informers yet: their events bring it back (the
      // requeue is a safety net for expectations that only expire)
      if (!inFlight.settled(key)) return { requeueAfterMs: 30_000 };
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
