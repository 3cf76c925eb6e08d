// kube's syncJob: count the Job's pods (new successes and failures, tracked with finalizers), decide
// whether it has finished (success criteria, pod failure policy, backoff limit, active deadline,
// failed indexes), delete the pods of a finishing Job or manage the active ones, keep the Suspended
// condition, and write the status.
import { rfc3339, type Job } from '@skiff/api';
import {
  JOB_FAILURE_TARGET, JOB_SUCCESS_CRITERIA_MET, JOB_SUSPENDED, ensureConditionStatus, findCondition, hasBackoffLimitPerIndex, isIndexedJob, isJobSuspended, newCondition,
} from './conditions.ts';
import { requeue, type JobController, type SyncCtx } from './context.ts';
import { completionIndex, failedIndexes, matchSuccessPolicy, podsWithDelayedDeletion, succeededIndexes } from './indexed.ts';
import { totalIndexes } from './intervals.ts';
import { deleteActivePods, manageJob } from './manage.ts';
import { countedFailures, failJobMessage } from './pod-failure-policy.ts';
import { countReady, hasTrackingFinalizer, isActive, isPodFailed, isTerminating, pastBackoffLimitOnFailure } from './pods.ts';
import { trackJobStatus } from './tracking.ts';

/** A failure: FailureTarget first (Failed once the pods are gone), as kube 1.31+ does. */
const failureCondition = (reason: string, message: string, now: number) => newCondition(JOB_FAILURE_TARGET, 'True', reason, message, now);

/** Sync a Job that has not finished. Returns when to sync again, if a timer is due. */
export async function syncJob(jc: JobController, key: string, shared: Job): Promise<number | undefined> {
  const job = structuredClone(shared);
  const status = (job.status ??= {});
  status.uncountedTerminatedPods ??= {};
  const now = jc.now();
  const spec = job.spec!;
  const completions = spec.completions ?? undefined;

  // expectations first: a pod created after this check is picked up by the next sync
  const satisfied = jc.expectations.satisfied(key) && jc.finalizerExpectations.satisfied(key);
  const pods = await jc.podsForJob(job);
  const activePods = pods.filter(isActive);
  const expectedRm = new Set(jc.finalizerExpectations.pending(key)?.deleting);
  const uncounted = { succeeded: new Set(status.uncountedTerminatedPods.succeeded ?? []), failed: new Set(status.uncountedTerminatedPods.failed ?? []) };
  // pods finished since the last count: they hold the finalizer and are not in the uncounted lists yet
  const fresh = (skip: Set<string>) =>
    pods.filter((p) => {
      const uid = p.metadata.uid ?? '';
      if (!hasTrackingFinalizer(p) || skip.has(uid) || expectedRm.has(uid)) return false;
      if (isIndexedJob(job)) {
        const ix = completionIndex(p);
        if (ix < 0 || ix >= (completions ?? 0)) return false;
      }
      return true;
    });
  const newSucceeded = fresh(uncounted.succeeded).filter((p) => p.status?.phase === 'Succeeded');
  const newFailed = fresh(uncounted.failed).filter((p) => isPodFailed(p, job));

  const ctx: SyncCtx = {
    key,
    job,
    pods,
    activePods,
    succeeded: (status.succeeded ?? 0) + newSucceeded.length + uncounted.succeeded.size,
    failed: (status.failed ?? 0) + countedFailures(job, newFailed) + uncounted.failed.size,
    prevSucceededIndexes: [],
    succeededIndexes: [],
    newBackoffRecord: jc.backoff.next(key, newSucceeded, newFailed),
    expectedRmFinalizers: expectedRm,
    uncounted,
    podsWithDelayedDeletionPerIndex: new Map(),
    terminating: pods.filter(isTerminating).length,
    ready: countReady(activePods),
  };
  let active = activePods.length;

  if (!status.startTime && !isJobSuspended(job)) status.startTime = rfc3339(now);

  const successMet = findCondition(job, JOB_SUCCESS_CRITERIA_MET);
  if (successMet?.status === 'True') ctx.finishedCondition = successMet;
  if (!ctx.finishedCondition) {
    const target = findCondition(job, JOB_FAILURE_TARGET);
    const msg = target?.status === 'True' ? undefined : failJobMessage(job, pods);
    if (target?.status === 'True') ctx.finishedCondition = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
    else if (msg) ctx.finishedCondition = failureCondition('PodFailurePolicy', msg, now);
  }
  if (!ctx.finishedCondition) {
    const ads = spec.activeDeadlineSeconds;
    const started = status.startTime ? Date.parse(status.startTime) : undefined;
    if (ctx.failed > (spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
      ctx.finishedCondition = failureCondition('BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
    } else if (ads !== undefined && started !== undefined && !isJobSuspended(job) && now - started >= ads * 1000) {
      ctx.finishedCondition = failureCondition('DeadlineExceeded', 'Job was active longer than specified deadline', now);
    } else if (ads !== undefined && started !== undefined && !isJobSuspended(job)) {
      requeue(ctx, ads * 1000 - (now - started));
    }
  }

  if (isIndexedJob(job)) {
    const s = succeededIndexes(job, pods);
    ctx.prevSucceededIndexes = s.prev;
    ctx.succeededIndexes = s.now;
    ctx.succeeded = totalIndexes(s.now);
    if (hasBackoffLimitPerIndex(job)) {
      ctx.failedIndexes = failedIndexes(job, pods);
      const nFailed = totalIndexes(ctx.failedIndexes);
      if (!ctx.finishedCondition) {
        if (spec.maxFailedIndexes !== undefined && nFailed > spec.maxFailedIndexes)
          ctx.finishedCondition = failureCondition('MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes', now);
        else if (nFailed > 0 && nFailed + ctx.succeeded >= (completions ?? 0))
          ctx.finishedCondition = failureCondition('FailedIndexes', 'Job has failed indexes', now);
      }
      ctx.podsWithDelayedDeletionPerIndex = podsWithDelayedDeletion(job, pods, activePods, ctx.succeededIndexes, ctx.failedIndexes, expectedRm);
    }
    if (!ctx.finishedCondition) {
      const msg = matchSuccessPolicy(spec.successPolicy?.rules, completions ?? 0, ctx.succeededIndexes);
      if (msg) ctx.finishedCondition = newCondition(JOB_SUCCESS_CRITERIA_MET, 'True', 'SuccessPolicy', msg, now);
    }
  }

  let suspendChanged = false;
  let manageError: unknown;
  if (ctx.finishedCondition) {
    // the Job is finishing: its active pods go (keeping their finalizers until counted)
    const r = await deleteActivePods(jc, job, activePods);
    if (r.removed !== active || !satisfied) ctx.finishedCondition = undefined; // finish on a later sync
    active -= r.removed;
    ctx.terminating += r.removed;
    ctx.ready -= r.removedReady;
    manageError = r.error;
  } else {
    let managed = false;
    if (satisfied && !job.metadata.deletionTimestamp) {
      const r = await manageJob(jc, ctx);
      active = r.active;
      manageError = r.error;
      managed = true;
    }
    const complete = completions === undefined ? ctx.succeeded > 0 && active === 0 : ctx.succeeded >= completions && active === 0;
    if (complete) {
      ctx.finishedCondition = newCondition(JOB_SUCCESS_CRITERIA_MET, 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
    } else if (managed) {
      if (isJobSuspended(job)) {
        if (ensureConditionStatus(job, JOB_SUSPENDED, 'True', 'JobSuspended', 'Job suspended', now)) {
          suspendChanged = true;
          jc.recorder.record(job, { type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
        }
      } else if (ensureConditionStatus(job, JOB_SUSPENDED, 'False', 'JobResumed', 'Job resumed', now)) {
        suspendChanged = true;
        jc.recorder.record(job, { type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
        // activeDeadlineSeconds counts the time a Job runs without a break
        status.startTime = rfc3339(now);
      }
    }
  }

  const needsUpdate = suspendChanged || active !== (status.active ?? 0) || ctx.ready !== status.ready || ctx.terminating !== status.terminating;
  status.active = active;
  status.ready = ctx.ready;
  status.terminating = ctx.terminating;
  await trackJobStatus(jc, ctx, needsUpdate);
  if (manageError !== undefined) throw manageError;
  return ctx.requeueAfterMs;
}

