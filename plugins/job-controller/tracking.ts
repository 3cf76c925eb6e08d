// Job tracking with finalizers (kube's trackJobStatusAndRemoveFinalizers): a finished pod is first
// written into status.uncountedTerminatedPods, then its batch.kubernetes.io/job-tracking finalizer is
// removed, then it moves from the uncounted list to succeeded / failed. A pod deleted at any point is
// thus counted exactly once. The terminal condition (Complete / Failed) is added only when nothing is
// uncounted and no pod is terminating.
import type { Job, Pod } from '@skiff/api';
import { JOB_COMPLETE, JOB_FAILED, JOB_FAILURE_TARGET, JOB_SUCCESS_CRITERIA_MET, ensureConditionStatus, findCondition, isIndexedJob, newCondition } from './conditions.ts';
import type { JobController, SyncCtx } from './context.ts';
import { completionIndex } from './indexed.ts';
import { formatIntervals, hasIndex, totalIndexes, withIndexes } from './intervals.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { hasTrackingFinalizer, isPodFailed } from './pods.ts';
import { removeTrackingFinalizer } from './tracking-finalizer.ts';

/** kube's MaxUncountedPods: keeps the uid lists around 20 KB and big Jobs from starving others. */
export const MAX_UNCOUNTED_PODS = 500;

const uidOf = (p: Pod) => p.metadata.uid ?? '';

/** Move the uids whose pods no longer hold the finalizer from the uncounted lists to the counters. */
function cleanUncounted(job: Job, withFinalizer: Set<string>): boolean {
  const st = (job.status ??= {});
  const u = (st.uncountedTerminatedPods ??= {});
  let changed = false;
  const keepS = (u.succeeded ?? []).filter((x) => withFinalizer.has(x));
  if (keepS.length !== (u.succeeded ?? []).length) {
    st.succeeded = (st.succeeded ?? 0) + (u.succeeded!.length - keepS.length);
    u.succeeded = keepS;
    changed = true;
  }
  const keepF = (u.failed ?? []).filter((x) => withFinalizer.has(x));
  if (keepF.length !== (u.failed ?? []).length) {
    st.failed = (st.failed ?? 0) + (u.failed!.length - keepF.length);
    u.failed = keepF;
    changed = true;
  }
  return changed;
}

function canRemoveFinalizer(ctx: SyncCtx, pod: Pod, consideredFailed: boolean): boolean {
  if (ctx.job.metadata.deletionTimestamp || ctx.finishedCondition || pod.status?.phase === 'Succeeded') return true;
  if (!consideredFailed) return false;
  const ix = completionIndex(pod);
  // backoffLimitPerIndex: the last failed pod of an index stays until its replacement copied its count
  const delayed = ix >= 0 ? ctx.podsWithDelayedDeletionPerIndex.get(ix) : undefined;
  return !(delayed && delayed.metadata.uid === pod.metadata.uid);
}

export async function trackJobStatus(jc: JobController, ctx: SyncCtx, needsFlush: boolean): Promise<void> {
  const job = ctx.job;
  const indexed = isIndexedJob(job);
  const completions = job.spec?.completions ?? 0;
  const uncountedStatus = (job.status!.uncountedTerminatedPods ??= {});
  const pods = indexed ? [...ctx.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : ctx.pods;

  const withFinalizer = new Set<string>();
  for (const p of pods) if (hasTrackingFinalizer(p) && !ctx.expectedRmFinalizers.has(uidOf(p))) withFinalizer.add(uidOf(p));
  if (cleanUncounted(job, withFinalizer)) needsFlush = true;

  const toRemove: Pod[] = [];
  const newSucceededIndexes: number[] = [];
  let reachedMax = false;
  for (const pod of pods) {
    const uid = uidOf(pod);
    if (!hasTrackingFinalizer(pod) || ctx.expectedRmFinalizers.has(uid)) continue; // handled before
    const failed = isPodFailed(pod, job);
    if (!canRemoveFinalizer(ctx, pod, failed)) continue;
    toRemove.push(pod);
    const ix = completionIndex(pod);
    if (pod.status?.phase === 'Succeeded' && !ctx.uncounted.failed.has(uid)) {
      if (indexed) {
        // the index alone prevents counting a success twice
        if (ix >= 0 && ix < completions && !hasIndex(ctx.prevSucceededIndexes, ix)) {
          newSucceededIndexes.push(ix);
          needsFlush = true;
        }
      } else if (!ctx.uncounted.succeeded.has(uid)) {
        (uncountedStatus.succeeded ??= []).push(uid);
        needsFlush = true;
      }
    } else if (failed || (ctx.finishedCondition && ctx.finishedCondition.type !== JOB_SUCCESS_CRITERIA_MET)) {
      // once the Job is finishing, every pod not succeeded counts as failed
      if (!ctx.uncounted.failed.has(uid) && (!indexed || (ix >= 0 && ix < completions))) {
        if (!job.spec?.podFailurePolicy || matchPodFailurePolicy(job.spec.podFailurePolicy, pod).countFailed) {
          (uncountedStatus.failed ??= []).push(uid);
          needsFlush = true;
        }
      }
    }
    if (newSucceededIndexes.length + (uncountedStatus.succeeded?.length ?? 0) + (uncountedStatus.failed?.length ?? 0) >= MAX_UNCOUNTED_PODS) {
      reachedMax = true;
      break;
    }
  }

  if (indexed) {
    ctx.succeededIndexes = withIndexes(ctx.succeededIndexes, newSucceededIndexes.sort((a, b) => a - b));
    const s = formatIntervals(ctx.succeededIndexes);
    if (s !== (job.status!.completedIndexes ?? '')) needsFlush = true;
    job.status!.succeeded = totalIndexes(ctx.succeededIndexes);
    job.status!.completedIndexes = s;
    if (ctx.failedIndexes) {
      const f = formatIntervals(ctx.failedIndexes);
      if (f !== job.status!.failedIndexes) {
        job.status!.failedIndexes = f;
        needsFlush = true;
      }
    }
  }
  const now = jc.now();
  const fc = ctx.finishedCondition;
  if (fc?.type === JOB_FAILURE_TARGET) {
    // the interim FailureTarget is written before the finalizers go; Failed follows
    if (!findCondition(job, JOB_FAILURE_TARGET)) {
      job.status!.conditions = [...(job.status!.conditions ?? []), fc];
      needsFlush = true;
    }
    ctx.finishedCondition = newCondition(JOB_FAILED, 'True', fc.reason ?? '', fc.message ?? '', now);
  } else if (fc?.type === JOB_SUCCESS_CRITERIA_MET) {
    if (!findCondition(job, JOB_SUCCESS_CRITERIA_MET)) {
      job.status!.conditions = [...(job.status!.conditions ?? []), fc];
      needsFlush = true;
    }
    ctx.finishedCondition = newCondition(JOB_COMPLETE, 'True', fc.reason ?? '', fc.message ?? '', now);
  }

  needsFlush = await flushAndRemoveFinalizers(jc, ctx, toRemove, withFinalizer, needsFlush);
  const finished = !reachedMax && enactJobFinished(jc, ctx);
  if (finished) needsFlush = true;
  if (needsFlush) {
    ctx.job = await jc.updateStatus(ctx.job);
    if (finished) recordJobFinished(jc, ctx.job, ctx.finishedCondition!.type, ctx.finishedCondition!.reason ?? '', ctx.finishedCondition!.message ?? '');
  }
}

/** Write the uncounted pods, remove their finalizers, count those removed; returns whether a write is still due. */
async function flushAndRemoveFinalizers(jc: JobController, ctx: SyncCtx, toRemove: Pod[], withFinalizer: Set<string>, needsFlush: boolean): Promise<boolean> {
  if (needsFlush) {
    ctx.job = await jc.updateStatus(ctx.job);
    jc.backoff.update(ctx.newBackoffRecord);
    needsFlush = false;
  }
  let error: unknown;
  if (toRemove.length > 0) {
    jc.finalizerExpectations.raise(ctx.key, { deleting: toRemove.map(uidOf) });
    await Promise.all(
      toRemove.map(async (pod) => {
        try {
          await removeTrackingFinalizer(jc.kernel, pod);
          withFinalizer.delete(uidOf(pod));
        } catch (e) {
          jc.finalizerExpectations.deletionObserved(ctx.key, uidOf(pod)); // no update will come
          error ??= e;
        }
      }),
    );
  }
  if (cleanUncounted(ctx.job, withFinalizer)) needsFlush = true;
  if (error !== undefined) {
    if (needsFlush) ctx.job = await jc.updateStatus(ctx.job); // keep the partial progress
    throw error;
  }
  return needsFlush;
}

/** Add the terminal condition once nothing is uncounted or terminating (kube's enactJobFinished). */
function enactJobFinished(jc: JobController, ctx: SyncCtx): boolean {
  const fc = ctx.finishedCondition;
  if (!fc) return false;
  const u = ctx.job.status?.uncountedTerminatedPods;
  if ((u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0) > 0) return false;
  if (ctx.terminating > 0) return false;
  const now = jc.now();
  ensureConditionStatus(ctx.job, fc.type, 'True', fc.reason ?? '', fc.message ?? '', now);
  if (fc.type === JOB_COMPLETE) ctx.job.status!.completionTime = findCondition(ctx.job, JOB_COMPLETE)!.lastTransitionTime;
  return true;
}

/** The Events of a finished Job (kube's recordJobFinished). */
function recordJobFinished(jc: JobController, job: Job, type: string, reason: string, message: string): void {
  if (type === JOB_COMPLETE) {
    const completions = job.spec?.completions;
    if (typeof completions === 'number' && (job.status?.succeeded ?? 0) > completions)
      jc.recorder.record(job, { type: 'Warning', reason: 'TooManySucceededPods', message: 'Too many succeeded pods running after completion count reached' });
    jc.recorder.record(job, { type: 'Normal', reason: 'Completed', message: 'Job completed' });
  } else {
    jc.recorder.record(job, { type: 'Warning', reason, message });
  }
}
