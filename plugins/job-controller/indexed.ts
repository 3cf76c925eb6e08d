// Indexed Jobs (completionMode Indexed): each pod carries a completion index (annotation and label
// batch.kubernetes.io/job-completion-index, env JOB_COMPLETION_INDEX, hostname <job>-<index>); the
// Job succeeds once every index has a succeeded pod. With backoffLimitPerIndex each index counts its
// own failures (annotation batch.kubernetes.io/job-index-failure-count on the replacement pod).
import type { Container, Job, Pod, PodTemplateSpec, SuccessPolicyRule } from '@skiff/api';
import { compareActivePods, finishedTime, hasTrackingFinalizer, isPodFailed, isTerminating } from './pods.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { hasIndex, mergeIntervals, parseIntervals, withIndexes, type Intervals } from './intervals.ts';
import { onlyReplaceFailedPods } from './conditions.ts';

export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const INDEX_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';
export const INDEX_IGNORED_FAILURE_COUNT = 'batch.kubernetes.io/job-index-ignored-failure-count';
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** names.MaxGeneratedNameLength: 63 minus the 5 random characters */
const MAX_GENERATED_NAME_LENGTH = 58;

/** The pod's completion index, or -1. */
export function completionIndex(pod: Pod): number {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX];
  if (v === undefined || !/^\d+$/.test(v)) return -1;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : -1;
}

const validIndex = (ix: number, completions: number) => ix >= 0 && ix < completions;

function int32Annotation(pod: Pod, key: string): number {
  const v = pod.metadata.annotations?.[key];
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  const n = Number(v);
  return n <= 2147483647 ? n : 0;
}

export const indexFailureCount = (pod: Pod) => int32Annotation(pod, INDEX_FAILURE_COUNT);
const absoluteFailureCount = (pod: Pod) => int32Annotation(pod, INDEX_FAILURE_COUNT) + int32Annotation(pod, INDEX_IGNORED_FAILURE_COUNT);

function sortedIndexes(pods: Pod[]): number[] {
  const s = new Set<number>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (ix >= 0) s.add(ix);
  }
  return [...s].sort((a, b) => a - b);
}

/** The indexes counted before (status.completedIndexes) and with the succeeded pods not yet counted. */
export function succeededIndexes(job: Job, pods: Pod[]): { prev: Intervals; now: Intervals } {
  const completions = job.spec?.completions ?? 0;
  const prev = parseIntervals(job.status?.completedIndexes, completions);
  const fresh = pods.filter((p) => p.status?.phase === 'Succeeded' && hasTrackingFinalizer(p) && validIndex(completionIndex(p), completions));
  return { prev, now: withIndexes(prev, sortedIndexes(fresh)) };
}

/** Whether a failed pod fails its whole index: a FailIndex rule, or backoffLimitPerIndex reached. */
export function isIndexFailed(job: Job, pod: Pod): boolean {
  if (!isPodFailed(pod, job)) return false;
  let counted = true;
  if (job.spec?.podFailurePolicy) {
    const m = matchPodFailurePolicy(job.spec.podFailurePolicy, pod);
    if (m.action === 'FailIndex') return true;
    counted = m.countFailed;
  }
  return counted && indexFailureCount(pod) >= (job.spec?.backoffLimitPerIndex ?? 0);
}

/** status.failedIndexes plus the indexes failed since. */
export function failedIndexes(job: Job, pods: Pod[]): Intervals {
  const completions = job.spec?.completions ?? 0;
  const prev = parseIntervals(job.status?.failedIndexes, completions);
  const fresh = pods.filter((p) => hasTrackingFinalizer(p) && validIndex(completionIndex(p), completions) && isIndexFailed(job, p));
  return withIndexes(prev, sortedIndexes(fresh));
}

/** Up to `count` indexes below `completions` that no active pod, success or failed index holds. */
export function firstPendingIndexes(job: Job, pods: Pod[], active: Pod[], succeeded: Intervals, failed: Intervals | undefined, count: number): number[] {
  const completions = job.spec?.completions ?? 0;
  if (count <= 0) return [];
  let taken = withIndexes(succeeded, sortedIndexes(active));
  if (onlyReplaceFailedPods(job)) taken = withIndexes(taken, sortedIndexes(pods.filter(isTerminating)));
  if (failed) taken = mergeIntervals(taken, failed);
  const out: number[] = [];
  let candidate = 0;
  for (const iv of taken) {
    for (; candidate < completions && out.length < count && candidate < iv.first; candidate++) out.push(candidate);
    if (candidate < iv.last + 1) candidate = iv.last + 1;
  }
  for (; candidate < completions && out.length < count; candidate++) out.push(candidate);
  return out;
}

/**
 * Active pods an Indexed Job must remove: those without a valid index, and for an index held by n
 * pods the n-1 that come first in the ActivePods order. Returns them and the pods left.
 */
export function duplicateIndexPods(pods: Pod[], completions: number): { rm: Pod[]; left: Pod[] } {
  const rm: Pod[] = [];
  const left: Pod[] = [];
  const byIndex = new Map<number, Pod[]>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (!validIndex(ix, completions)) rm.push(p);
    else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
  }
  for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
    const same = byIndex.get(ix)!.sort(compareActivePods);
    rm.push(...same.slice(0, -1));
    left.push(same[same.length - 1]);
  }
  return { rm, left };
}

/**
 * With backoffLimitPerIndex: per index without an active pod, success or failure, the failed pod
 * whose deletion waits until its replacement exists (the replacement copies its failure count).
 */
export function podsWithDelayedDeletion(job: Job, pods: Pod[], active: Pod[], succeeded: Intervals, failed: Intervals, expectedRm: Set<string>): Map<number, Pod> {
  const completions = job.spec?.completions ?? 0;
  const activeIx = new Set(sortedIndexes(active));
  const out = new Map<number, Pod>();
  for (const p of pods) {
    if (!hasTrackingFinalizer(p) || expectedRm.has(p.metadata.uid ?? '') || !isPodFailed(p, job)) continue;
    const ix = completionIndex(p);
    if (!validIndex(ix, completions) || hasIndex(succeeded, ix) || hasIndex(failed, ix) || activeIx.has(ix)) continue;
    const last = out.get(ix);
    if (!last || (absoluteFailureCount(last) <= absoluteFailureCount(p) && !(finishedTime(p) < finishedTime(last)))) out.set(ix, p);
  }
  return out;
}

/** The failure counts the replacement of `replaced` starts with. */
export function newIndexFailureCounts(job: Job, replaced: Pod | undefined): { failures: number; ignored: number } {
  if (!replaced) return { failures: 0, ignored: 0 };
  let failures = int32Annotation(replaced, INDEX_FAILURE_COUNT);
  let ignored = int32Annotation(replaced, INDEX_IGNORED_FAILURE_COUNT);
  if (job.spec?.podFailurePolicy && !matchPodFailurePolicy(job.spec.podFailurePolicy, replaced).countFailed) ignored++;
  else failures++;
  return { failures, ignored };
}

/** `<job>-<index>-`, cut to fit a generated name. */
export function podGenerateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = jobName + suffix;
  return prefix.length > MAX_GENERATED_NAME_LENGTH ? prefix.slice(0, MAX_GENERATED_NAME_LENGTH - suffix.length) + suffix : prefix;
}

function addIndexEnv(c: Container): void {
  if (c.env?.some((e) => e.name === COMPLETION_INDEX_ENV)) return;
  (c.env ??= []).push({ name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } } });
}

/** JOB_COMPLETION_INDEX in every container and init container, from the pod's index label. */
export function addCompletionIndexEnv(template: PodTemplateSpec): void {
  for (const c of template.spec?.initContainers ?? []) addIndexEnv(c);
  for (const c of template.spec?.containers ?? []) addIndexEnv(c);
}

/**
 * spec.successPolicy: the first rule met, as "Matched rules at index N" (kube's matchSuccessPolicy).
 * A rule with succeededIndexes needs those (or succeededCount of them); one with only succeededCount
 * needs that many succeeded indexes.
 */
export function matchSuccessPolicy(rules: SuccessPolicyRule[] | undefined, completions: number, succeeded: Intervals): string | undefined {
  if (succeeded.length === 0) return undefined;
  for (const [i, rule] of (rules ?? []).entries()) {
    if (rule.succeededIndexes !== undefined) {
      const wanted = parseIntervals(rule.succeededIndexes, completions);
      let have = 0;
      let want = 0;
      for (const iv of wanted) for (let x = iv.first; x <= iv.last; x++, want++) if (hasIndex(succeeded, x)) have++;
      if (rule.succeededCount !== undefined ? have >= rule.succeededCount : want > 0 && have === want) return `Matched rules at index ${i}`;
    } else if (rule.succeededCount !== undefined) {
      let total = 0;
      for (const iv of succeeded) total += iv.last - iv.first + 1;
      if (total >= rule.succeededCount) return `Matched rules at index ${i}`;
    }
  }
  return undefined;
}
