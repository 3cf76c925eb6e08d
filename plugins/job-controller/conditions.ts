// Job conditions and predicates, as kube's job controller and pkg/controller/job/util have them:
// Complete / Failed are terminal; SuccessCriteriaMet / FailureTarget are the interim conditions a
// Job carries while its last pods terminate (kube 1.31+); Suspended tracks spec.suspend.
import { rfc3339, type Job, type JobCondition } from '@skiff/api';

export const JOB_COMPLETE = 'Complete';
export const JOB_FAILED = 'Failed';
export const JOB_SUSPENDED = 'Suspended';
export const JOB_FAILURE_TARGET = 'FailureTarget';
export const JOB_SUCCESS_CRITERIA_MET = 'SuccessCriteriaMet';

/** The value of spec.managedBy that this controller serves (unset means the same). */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';


export function findCondition(job: Job, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

/** 'Complete' or 'Failed' when the Job has that condition True (kube's IsJobFinished). */
export function finishedType(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === JOB_COMPLETE || c.type === JOB_FAILED) && c.status === 'True') return c.type;
  }
  return undefined;
}

export const isJobFinished = (job: Job): boolean => finishedType(job) !== undefined;

export const isJobSuspended = (job: Job): boolean => job.spec?.suspend === true;

export const isIndexedJob = (job: Job): boolean => job.spec?.completionMode === 'Indexed';

export const hasBackoffLimitPerIndex = (job: Job): boolean => typeof job.spec?.backoffLimitPerIndex === 'number';

/** Another controller's Job (spec.managedBy set to something else): left alone. */
export function managedByOther(job: Job): string | undefined {
  const m = job.spec?.managedBy;
  return m && m !== JOB_CONTROLLER_NAME ? m : undefined;
}

/** Only failed pods are replaced (podReplacementPolicy Failed, or a podFailurePolicy). */
export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || job.spec?.podFailurePolicy !== undefined;
}

export function newCondition(type: string, status: 'True' | 'False', reason: string, message: string, now: number): JobCondition {
  const t = rfc3339(now);
  const c: JobCondition = { type, status, lastProbeTime: t, lastTransitionTime: t };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/**
 * Set a condition's status, reason and message (kube's ensureJobConditionStatus): a condition that
 * does not exist is not added as False. Returns whether the list changed.
 */
export function ensureConditionStatus(job: Job, type: string, status: 'True' | 'False', reason: string, message: string, now: number): boolean {
  const list = ((job.status ??= {}).conditions ??= []);
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i];
    if (c.status !== status || (c.reason ?? '') !== reason || (c.message ?? '') !== message) {
      list[i] = newCondition(type, status, reason, message, now);
      return true;
    }
    return false;
  }
  if (status === 'False') return false;
  list.push(newCondition(type, status, reason, message, now));
  return true;
}
