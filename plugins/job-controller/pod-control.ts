// The Job controller's writes to pods, as kube's RealPodControl and job controller do them: create
// from the template (Events SuccessfulCreate "Created pod: x" / FailedCreate), delete (Events
// SuccessfulDelete "Deleted pod: x" / FailedDelete), remove the tracking finalizer, adopt an orphan.
import { isAlreadyExists, isInvalid, isNotFound, PODS, type Job, type OwnerReference, type Pod, type PodTemplateSpec } from '@skiff/api';
import type { EventRecorder } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import { JOB_TRACKING_FINALIZER } from './pods.ts';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** A create refused because the namespace is being deleted: kube ignores it quietly. */
export function isNamespaceTerminating(e: unknown): boolean {
  const status = (e as { status?: { details?: { causes?: { reason?: string }[] }; message?: string } })?.status;
  if (status?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return true;
  return /because it is being terminated/.test(status?.message ?? (e instanceof Error ? e.message : ''));
}

/** generateName collisions are retried, as kube-apiserver does (the kernel does not). */
const GENERATE_NAME_ATTEMPTS = 8;

/** Call `fn` `count` times in concurrent batches of 1, 2, 4, ... stopping after a batch with a failure (kube's slowStartBatch). */
export async function slowStartBatch(count: number, fn: (i: number) => Promise<void>): Promise<{ successes: number; attempted: number; error?: unknown }> {
  let done = 0;
  let successes = 0;
  for (let size = Math.min(count, 1); size > 0; size = Math.min(2 * size, count - done)) {
    const start = done;
    const results = await Promise.allSettled(Array.from({ length: size }, (_, k) => fn(start + k)));
    done += size;
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += size - failed.length;
    if (failed.length) return { successes, attempted: done, error: failed[0].reason };
  }
  return { successes, attempted: done };
}

export class JobPodControl {
  constructor(
    private readonly kernel: Kernel,
    private readonly recorder: EventRecorder,
  ) {}

  /** Create a pod of `job` from `template` (generateName `<job>-` unless given). */
  async create(job: Job, template: PodTemplateSpec, controllerRef: OwnerReference, generateName?: string): Promise<Pod> {
    const meta = template.metadata ?? {};
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: generateName ?? `${job.metadata.name}-`, namespace: job.metadata.namespace, ownerReferences: [controllerRef] },
      spec: structuredClone(template.spec) as Pod['spec'],
    };
    if (meta.labels) pod.metadata.labels = { ...meta.labels };
    if (meta.annotations) pod.metadata.annotations = { ...meta.annotations };
    if (meta.finalizers?.length) pod.metadata.finalizers = [...meta.finalizers];
    if (!pod.metadata.labels || Object.keys(pod.metadata.labels).length === 0) throw new Error('unable to create pods, no labels');
    for (let attempt = 1; ; attempt++) {
      try {
        const created = (await this.kernel.create(PODS, pod)) as Pod;
        this.recorder.record(job, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${created.metadata.name}` });
        return created;
      } catch (e) {
        if (isAlreadyExists(e) && attempt < GENERATE_NAME_ATTEMPTS) continue;
        if (!isNamespaceTerminating(e)) this.recorder.record(job, { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${message(e)}` });
        throw e;
      }
    }
  }

  /** Delete a pod of `job` (NotFound is thrown as is, without an Event). */
  async delete(job: Job, pod: Pod): Promise<void> {
    try {
      await this.kernel.delete(PODS, pod.metadata.namespace, pod.metadata.name!);
    } catch (e) {
      if (isNotFound(e)) throw e;
      this.recorder.record(job, { type: 'Warning', reason: 'FailedDelete', message: `Error deleting: ${message(e)}` });
      throw new Error(`unable to delete pods: ${message(e)}`, { cause: e });
    }
    this.recorder.record(job, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata.name}` });
  }

  /**
   * Remove the tracking finalizer (a JSON patch guarded by the uid and the finalizers it read; on a
   * stale read it re-reads). Resolves when the finalizer is gone or the pod is; throws otherwise.
   */
  async removeTrackingFinalizer(pod: Pod): Promise<void> {
    let cur = pod;
    for (let attempt = 0; ; attempt++) {
      const fins = cur.metadata.finalizers ?? [];
      if (!fins.includes(JOB_TRACKING_FINALIZER)) return;
      try {
        await this.kernel.patch(PODS, cur.metadata.namespace, cur.metadata.name!, 'json', [
          { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
          { op: 'test', path: '/metadata/finalizers', value: fins },
          { op: 'replace', path: '/metadata/finalizers', value: fins.filter((f) => f !== JOB_TRACKING_FINALIZER) },
        ]);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isInvalid(e) || attempt >= 3) throw e;
        try {
          cur = (await this.kernel.get(PODS, pod.metadata.namespace, pod.metadata.name!)) as Pod;
        } catch (g) {
          if (isNotFound(g)) return;
          throw g;
        }
        if (cur.metadata.uid !== pod.metadata.uid) return; // another pod of that name
      }
    }
  }

  /** Make `job` the controller of an orphan pod and add the tracking finalizer (guarded by uid and resourceVersion). */
  async adopt(pod: Pod, controllerRef: OwnerReference): Promise<Pod> {
    const refs = [...(pod.metadata.ownerReferences ?? []), controllerRef];
    const fins = pod.metadata.finalizers ?? [];
    return (await this.kernel.patch(PODS, pod.metadata.namespace, pod.metadata.name!, 'json', [
      { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
      { op: 'test', path: '/metadata/resourceVersion', value: pod.metadata.resourceVersion },
      { op: 'add', path: '/metadata/ownerReferences', value: refs },
      { op: 'add', path: '/metadata/finalizers', value: fins.includes(JOB_TRACKING_FINALIZER) ? fins : [...fins, JOB_TRACKING_FINALIZER] },
    ])) as Pod;
  }
}
