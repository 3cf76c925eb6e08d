// The Job controller's own writes to its pods, beside the client's PodControl (creates and deletes
// with their Events): removing the batch.kubernetes.io/job-tracking finalizer, and adopting an
// orphan with that finalizer added (kube's PodControllerRefManager with the tracking finalizer).
import { isInvalid, isNotFound, PODS, type OwnerReference, type Pod } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { JOB_TRACKING_FINALIZER } from './pods.ts';

/**
 * Remove the tracking finalizer (a JSON patch guarded by the uid and the finalizers it read; on a
 * stale read it re-reads). Resolves when the finalizer is gone or the pod is; throws otherwise.
 */
export async function removeTrackingFinalizer(kernel: Kernel, pod: Pod): Promise<void> {
  let cur = pod;
  for (let attempt = 0; ; attempt++) {
    const fins = cur.metadata.finalizers ?? [];
    if (!fins.includes(JOB_TRACKING_FINALIZER)) return;
    try {
      await kernel.patch(PODS, cur.metadata.namespace, cur.metadata.name!, 'json', [
        { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
        { op: 'test', path: '/metadata/finalizers', value: fins },
        { op: 'replace', path: '/metadata/finalizers', value: fins.filter((f) => f !== JOB_TRACKING_FINALIZER) },
      ]);
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      if (!isInvalid(e) || attempt >= 3) throw e;
      try {
        cur = (await kernel.get(PODS, pod.metadata.namespace, pod.metadata.name!)) as Pod;
      } catch (g) {
        if (isNotFound(g)) return;
        throw g;
      }
      if (cur.metadata.uid !== pod.metadata.uid) return; // another pod of that name
    }
  }
}

/** Make the Job the controller of an orphan pod and add the tracking finalizer (guarded by uid and resourceVersion). */
export async function adoptPod(kernel: Kernel, pod: Pod, controllerRef: OwnerReference): Promise<Pod> {
  const refs = [...(pod.metadata.ownerReferences ?? []), controllerRef];
  const fins = pod.metadata.finalizers ?? [];
  return (await kernel.patch(PODS, pod.metadata.namespace, pod.metadata.name!, 'json', [
    { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
    { op: 'test', path: '/metadata/resourceVersion', value: pod.metadata.resourceVersion },
    { op: 'add', path: '/metadata/ownerReferences', value: refs },
    { op: 'add', path: '/metadata/finalizers', value: fins.includes(JOB_TRACKING_FINALIZER) ? fins : [...fins, JOB_TRACKING_FINALIZER] },
  ])) as Pod;
}
