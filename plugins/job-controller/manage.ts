// kube's manageJob: keep min(parallelism, remaining completions) pods active — delete the extra ones
// (all of them while suspended), create the missing ones in slow-start batches once the pod failure
// back-off has passed, with a completion index each for an Indexed Job.
import { isNotFound, isPodReady, newControllerRef, type Job, type Pod, type PodTemplateSpec } from '@skiff/api';
import { slowStartBatch } from '@skiff/client';
import { remainingBackoff } from './backoff.ts';
import { hasBackoffLimitPerIndex, isIndexedJob, isJobSuspended, onlyReplaceFailedPods } from './conditions.ts';
import { requeue, type JobController, type SyncCtx } from './context.ts';
import { addCompletionIndexEnv, COMPLETION_INDEX, duplicateIndexPods, firstPendingIndexes, INDEX_FAILURE_COUNT, INDEX_IGNORED_FAILURE_COUNT, newIndexFailureCounts, podGenerateNameWithIndex } from './indexed.ts';
import { finishedTime, hasTrackingFinalizer, JOB_TRACKING_FINALIZER, compareActivePods, podKey } from './pods.ts';
import { removeTrackingFinalizer } from './tracking-finalizer.ts';

/** kube's MaxPodCreateDeletePerSync */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

/** Pods to delete: duplicate or invalid indexes of an Indexed Job, then the first of the ActivePods order. */
export function activePodsForRemoval(job: Job, pods: Pod[], rmAtLeast: number): Pod[] {
  let rm: Pod[] = [];
  let left = pods;
  if (isIndexedJob(job)) ({ rm, left } = duplicateIndexPods(pods, job.spec?.completions ?? 0));
  if (rm.length < rmAtLeast) rm = [...rm, ...[...left].sort(compareActivePods).slice(0, rmAtLeast - rm.length)];
  return rm;
}

interface Removed {
  removed: number;
  removedReady: number;
  error?: unknown;
}

/** Delete pods the Job no longer wants: the finalizer goes first, so they are not counted as failed. */
async function deleteJobPods(jc: JobController, job: Job, key: string, pods: Pod[]): Promise<Removed> {
  let removed = 0;
  let removedReady = 0;
  let error: unknown;
  await Promise.all(
    pods.map(async (pod) => {
      try {
        if (hasTrackingFinalizer(pod)) await removeTrackingFinalizer(jc.kernel, pod);
        await jc.podControl.deletePod(job, pod.metadata.namespace!, pod.metadata.name!);
      } catch (e) {
        jc.expectations.deletionObserved(key, podKey(pod)); // never seen: do not wait for it
        if (!isNotFound(e)) {
          error ??= e;
          return;
        }
      }
      removed++;
      if (isPodReady(pod)) removedReady++;
    }),
  );
  return { removed, removedReady, error };
}

/** Delete active pods of a finishing Job, keeping their finalizers (they are counted as failed then). */
export async function deleteActivePods(jc: JobController, job: Job, pods: Pod[]): Promise<Removed> {
  let removed = pods.length;
  let removedReady = 0;
  let error: unknown;
  await Promise.all(
    pods.map(async (pod) => {
      try {
        await jc.podControl.deletePod(job, pod.metadata.namespace!, pod.metadata.name!);
      } catch (e) {
        if (!isNotFound(e)) {
          removed--;
          error ??= e;
        }
      }
      if (isPodReady(pod)) removedReady++;
    }),
  );
  return { removed, removedReady, error };
}

/** Returns the active count after the creations and deletions sent, and the first error. */
export async function manageJob(jc: JobController, ctx: SyncCtx): Promise<{ active: number; error?: unknown }> {
  const { job, key } = ctx;
  let active = ctx.activePods.length;
  const parallelism = job.spec?.parallelism ?? 1;
  const completions = job.spec?.completions;

  if (isJobSuspended(job)) {
    const rm = activePodsForRemoval(job, ctx.activePods, active);
    jc.expectations.expectDeletions(key, rm.map(podKey));
    const r = await deleteJobPods(jc, job, key, rm);
    ctx.terminating += r.removed;
    ctx.ready -= r.removedReady;
    return { active: active - r.removed, error: r.error };
  }

  let wantActive: number;
  if (completions === undefined || completions === null) wantActive = ctx.succeeded > 0 ? active : parallelism;
  else wantActive = Math.max(0, Math.min(completions - ctx.succeeded, parallelism));

  const rm = activePodsForRemoval(job, ctx.activePods, Math.max(0, active - wantActive)).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
  if (rm.length > 0) {
    // deletions and creations never in the same sync; deletions first
    jc.expectations.expectDeletions(key, rm.map(podKey));
    const r = await deleteJobPods(jc, job, key, rm);
    ctx.terminating += r.removed;
    ctx.ready -= r.removedReady;
    return { active: active - r.removed, error: r.error };
  }

  const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
  let diff = wantActive - terminating - active;
  if (diff <= 0) return { active };

  if (!hasBackoffLimitPerIndex(job)) {
    const rec = ctx.newBackoffRecord;
    const wait = remainingBackoff(rec.failuresAfterLastSuccess, rec.lastFailureTime, jc.now(), jc.config.podFailureBackoffMs, jc.config.maxPodFailureBackoffMs);
    if (wait > 0) {
      requeue(ctx, wait);
      return { active };
    }
  }
  diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);

  let indexes: number[] | undefined;
  if (isIndexedJob(job)) {
    indexes = firstPendingIndexes(job, ctx.pods, ctx.activePods, ctx.succeededIndexes, ctx.failedIndexes, diff);
    if (hasBackoffLimitPerIndex(job)) {
      // each index waits out its own back-off, counted from the failures of its last pod
      const now: number[] = [];
      let minWait: number | undefined;
      for (const ix of indexes) {
        const last = ctx.podsWithDelayedDeletionPerIndex.get(ix);
        let wait = 0;
        if (last) {
          const n = newIndexFailureCounts(job, last);
          wait = remainingBackoff(n.failures + n.ignored, finishedTime(last), jc.now(), jc.config.podFailureBackoffMs, jc.config.maxPodFailureBackoffMs);
        }
        if (wait === 0) now.push(ix);
        else if (minWait === undefined || wait < minWait) minWait = wait;
      }
      if (now.length === 0 && minWait !== undefined) {
        requeue(ctx, minWait);
        return { active };
      }
      indexes = now;
    }
    diff = indexes.length;
  }
  if (diff === 0) return { active };

  jc.expectations.expectCreations(key, diff);
  active += diff;
  const template = structuredClone(job.spec!.template) as PodTemplateSpec;
  if (indexes) addCompletionIndexEnv(template);
  template.metadata ??= {};
  const fins = template.metadata.finalizers ?? [];
  if (!fins.includes(JOB_TRACKING_FINALIZER)) template.metadata.finalizers = [...fins, JOB_TRACKING_FINALIZER];
  const ref = newControllerRef(job, 'batch/v1', 'Job');
  const name = job.metadata.name!;

  const r = await slowStartBatch(diff, async (i) => {
    let t = template;
    let generateName: string | undefined;
    if (indexes) {
      const ix = indexes[i];
      t = structuredClone(template);
      t.metadata!.annotations = { ...t.metadata!.annotations, [COMPLETION_INDEX]: String(ix) };
      t.metadata!.labels = { ...t.metadata!.labels, [COMPLETION_INDEX]: String(ix) };
      t.spec = { ...t.spec!, hostname: `${name}-${ix}` };
      generateName = podGenerateNameWithIndex(name, ix);
      if (hasBackoffLimitPerIndex(job)) {
        const counts = newIndexFailureCounts(job, ctx.podsWithDelayedDeletionPerIndex.get(ix));
        t.metadata!.annotations[INDEX_FAILURE_COUNT] = String(counts.failures);
        if (counts.ignored > 0) t.metadata!.annotations[INDEX_IGNORED_FAILURE_COUNT] = String(counts.ignored);
      }
    }
    try {
      await jc.podControl.createPod(job, t, ref, generateName);
    } catch (e) {
      jc.expectations.creationObserved(key); // this one will never be seen
      active--;
      throw e;
    }
  });
  if (r.skipped > 0) {
    jc.expectations.lowerCreations(key, r.skipped);
    active -= r.skipped;
  }
  return { active, error: r.errors[0] };
}
