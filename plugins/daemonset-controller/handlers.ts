// What wakes a DaemonSet besides its own changes (the controller kit routes those, and the changes of
// the pods and revisions it controls), as kube's daemon controller's event handlers:
// - pods: creations and deletions observed for expectations (a pod marked for deletion counts as
//   deleted); an orphan wakes the DaemonSets that select it (adoption); a pod turning ready wakes its
//   DaemonSet again after minReadySeconds;
// - revisions: an orphan wakes the DaemonSets that select it;
// - nodes: a new node wakes the DaemonSets that should run on it; a changed one (labels, taints) those
//   whose verdict changed; a deleted one those that may have a pod there.
import {
  isPodReady, selectorMatches, isEmptySelector,
  type ControllerRevision, type DaemonSet, type KObject, type Node, type OwnerReference, type Pod,
} from '@skiff/api';
import type { ControllerRuntime, SharedInformer } from '@skiff/client';
import { objectKey } from '@skiff/client';
import { nodeShouldRunDaemonPod } from './predicates.ts';

export interface Informers {
  daemonSets: SharedInformer<DaemonSet>;
  pods: SharedInformer<Pod>;
  nodes: SharedInformer<Node>;
  revisions: SharedInformer<ControllerRevision>;
}

const controllerOf = (o: KObject): OwnerReference | undefined => o.metadata.ownerReferences?.find((r) => r.controller);
const sameRef = (a?: OwnerReference, b?: OwnerReference) => a?.uid === b?.uid && a?.name === b?.name && a?.kind === b?.kind && a?.apiVersion === b?.apiVersion;
const sameMap = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) => {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a![k] === b?.[k]);
};

/** Install the handlers; returns what removes them. */
export function watchDependents<C>(c: ControllerRuntime<C>, inf: Informers): () => void {
  const { daemonSets, pods, nodes, revisions } = inf;
  const exp = c.expectations;

  /** resolveControllerRef: the DaemonSet a controller reference names, if it is still that one. */
  const resolve = (ns: string | undefined, ref: OwnerReference | undefined): DaemonSet | undefined => {
    if (!ref || ref.kind !== 'DaemonSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const ds = daemonSets.lister.get(ns, ref.name);
    return ds?.metadata.uid === ref.uid ? ds : undefined;
  };
  /** The DaemonSets in the object's namespace whose selector selects it (GetPodDaemonSets). */
  const selecting = (o: KObject): DaemonSet[] =>
    daemonSets.lister
      .list(o.metadata.namespace)
      .filter((ds) => !isEmptySelector(ds.spec?.selector) && selectorMatches(ds.spec?.selector, o.metadata.labels ?? {}));
  const enqueueAll = (list: DaemonSet[]) => list.forEach((ds) => c.enqueue(ds));

  const podDeleted = (pod: Pod) => {
    const ds = resolve(pod.metadata.namespace, controllerOf(pod));
    if (ds) exp.deletionObserved(objectKey(ds), objectKey(pod));
  };

  const offs = [
    daemonSets.addEventHandler({
      // a DaemonSet made again under the same name starts without the old one's expectations
      onUpdate: (old, cur) => old.metadata.uid !== cur.metadata.uid && exp.forget(objectKey(old)),
      onDelete: (ds) => exp.forget(objectKey(ds)),
    }),
    pods.addEventHandler({
      onAdd(pod) {
        if (pod.metadata.deletionTimestamp) return podDeleted(pod);
        const ref = controllerOf(pod);
        if (ref) {
          const ds = resolve(pod.metadata.namespace, ref);
          if (ds) exp.creationObserved(objectKey(ds));
          return;
        }
        enqueueAll(selecting(pod));
      },
      onUpdate(old, cur) {
        if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
        if (cur.metadata.deletionTimestamp) return podDeleted(cur);
        const ref = controllerOf(cur);
        if (ref) {
          const ds = resolve(cur.metadata.namespace, ref);
          const minReady = ds?.spec?.minReadySeconds ?? 0;
          // a second more, so the pod is surely available when the DaemonSet is looked at
          if (ds && minReady > 0 && !isPodReady(old) && isPodReady(cur)) c.enqueueAfter(ds, (minReady + 1) * 1000);
          return;
        }
        if (!sameMap(old.metadata.labels, cur.metadata.labels) || !sameRef(controllerOf(old), ref)) enqueueAll(selecting(cur));
      },
      onDelete: podDeleted,
    }),
    revisions.addEventHandler({
      onAdd(rev) {
        if (!controllerOf(rev) && !rev.metadata.deletionTimestamp) enqueueAll(selecting(rev));
      },
      onUpdate(old, cur) {
        if (old.metadata.resourceVersion === cur.metadata.resourceVersion || controllerOf(cur)) return;
        if (!sameMap(old.metadata.labels, cur.metadata.labels) || !sameRef(controllerOf(old), undefined)) enqueueAll(selecting(cur));
      },
    }),
    nodes.addEventHandler({
      onAdd(node) {
        enqueueAll(daemonSets.lister.list().filter((ds) => nodeShouldRunDaemonPod(node, ds).shouldRun));
      },
      onUpdate(old, cur) {
        // only labels and taints decide (kube also looks at other changes, to the same verdicts)
        if (sameMap(old.metadata.labels, cur.metadata.labels) && JSON.stringify(old.spec?.taints ?? []) === JSON.stringify(cur.spec?.taints ?? [])) return;
        for (const ds of daemonSets.lister.list()) {
          const a = nodeShouldRunDaemonPod(old, ds);
          const b = nodeShouldRunDaemonPod(cur, ds);
          if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning) c.enqueue(ds);
        }
      },
      onDelete(node) {
        // (kube has no handler: its pod GC deletes the pods, which wakes the DaemonSet)
        enqueueAll(daemonSets.lister.list().filter((ds) => nodeShouldRunDaemonPod(node, ds).shouldContinueRunning));
      },
    }),
  ];
  return () => offs.forEach((off) => off());
}
