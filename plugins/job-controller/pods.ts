// What the Job controller reads from its pods: the tracking finalizer, when a pod counts as failed,
// when it finished, and kube's ActivePods order (which pods go first when some must be deleted).
import { isPodReady, podReadyCondition, type Job, type Pod } from '@skiff/api';
import { onlyReplaceFailedPods } from './conditions.ts';

/** The finalizer that keeps a finished pod until the Job has counted it. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export const hasTrackingFinalizer = (pod: Pod): boolean => pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) === true;

export const podKey = (pod: Pod): string => `${pod.metadata.namespace}/${pod.metadata.name}`;

const phase = (pod: Pod) => pod.status?.phase;

/** Not terminal and not being deleted (kube's FilterActivePods). */
export const isActive = (pod: Pod): boolean => phase(pod) !== 'Succeeded' && phase(pod) !== 'Failed' && !pod.metadata.deletionTimestamp;

/** Being deleted and not terminal yet (kube's CountTerminatingPods). */
export const isTerminating = (pod: Pod): boolean => !!pod.metadata.deletionTimestamp && phase(pod) !== 'Succeeded' && phase(pod) !== 'Failed';

/**
 * A failure for the Job: phase Failed, or (unless only failed pods are replaced) deleted before it
 * succeeded, which covers orphans that never reach the Failed phase.
 */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (phase(pod) === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata.deletionTimestamp && phase(pod) !== 'Succeeded';
}

const ms = (t: string | undefined): number | undefined => {
  if (!t) return undefined;
  const v = Date.parse(t);
  return Number.isFinite(v) ? v : undefined;
};

/**
 * When a pod finished (kube's getFinishedTime): the last container finish when every container
 * finished, else the Ready=False transition, else deletionTimestamp - grace, else creation.
 */
export function finishedTime(pod: Pod): number {
  let latest: number | undefined;
  let all = true;
  for (const cs of pod.status?.containerStatuses ?? []) {
    const f = ms(cs.state?.terminated?.finishedAt);
    if (f === undefined) {
      all = false;
      break;
    }
    if (latest === undefined || f > latest) latest = f;
  }
  if (all && latest !== undefined) return latest;
  const ready = podReadyCondition(pod.status);
  if (ready?.status === 'False') {
    const t = ms(ready.lastTransitionTime);
    if (t !== undefined) return t;
  }
  const del = ms(pod.metadata.deletionTimestamp);
  if (del !== undefined) return del - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return ms(pod.metadata.creationTimestamp) ?? 0;
}

export const countReady = (pods: Pod[]): number => pods.reduce((n, p) => n + (isPodReady(p) ? 1 : 0), 0);

/** For restartPolicy OnFailure: the container restarts of running pods reached backoffLimit. */
export function pastBackoffLimitOnFailure(job: Job, pods: Pod[]): boolean {
  if (job.spec?.template.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (phase(p) !== 'Running' && phase(p) !== 'Pending') continue;
    for (const s of p.status?.initContainerStatuses ?? []) restarts += s.restartCount ?? 0;
    for (const s of p.status?.containerStatuses ?? []) restarts += s.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const readySince = (p: Pod) => (isPodReady(p) ? (ms(podReadyCondition(p.status)?.lastTransitionTime) ?? 0) : 0);
const maxRestarts = (p: Pod) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
/** a before b when a is after b, a zero time counting as after any other */
const afterOrZero = (a: number, b: number) => (a === 0 || b === 0 ? a === 0 : a > b);

/**
 * kube's controller.ActivePods order: pods earlier in it are deleted first. Unassigned < assigned,
 * Pending < Unknown < Running, not ready < ready, ready more recently < longer, more restarts <
 * fewer, newer < older.
 */
export function compareActivePods(a: Pod, b: Pod): number {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (!na || !nb)) return !na ? -1 : 1;
  const pa = PHASE_ORDINAL[phase(a) ?? 'Pending'] ?? 0;
  const pb = PHASE_ORDINAL[phase(b) ?? 'Pending'] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  if (ra && rb) {
    const ta = readySince(a);
    const tb = readySince(b);
    if (ta !== tb) return afterOrZero(ta, tb) ? -1 : 1;
  }
  const ca = maxRestarts(a);
  const cb = maxRestarts(b);
  if (ca !== cb) return ca > cb ? -1 : 1;
  const ka = ms(a.metadata.creationTimestamp) ?? 0;
  const kb = ms(b.metadata.creationTimestamp) ?? 0;
  if (ka !== kb) return afterOrZero(ka, kb) ? -1 : 1;
  return 0;
}
