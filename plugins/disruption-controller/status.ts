// A PodDisruptionBudget's status from its pods, as kube's disruption controller computes it:
// disruptedPods kept until the pod is gone or terminating or DeletionTimeout passes, currentHealthy,
// disruptionsAllowed and the DisruptionAllowed condition (pdbhelper's rules).
import { isPodReady, type Condition, type Pod, type PodDisruptionBudget, type PodDisruptionBudgetStatus } from '@skiff/api';

/** How long a pod the eviction subresource admitted counts as disrupted before it should be gone (kube's DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';

export interface DisruptedPods {
  /** the entries still in force */
  disruptedPods: Record<string, string>;
  /** when the earliest of them expires (ms since the epoch), to look again then */
  recheckAt?: number;
  /** pods whose entry expired without the pod being deleted (kube records NotDeleted for them) */
  notDeleted: Pod[];
}

/** buildDisruptedPodMap: entries of pods that still exist, are not terminating, and have not timed out. */
export function buildDisruptedPodMap(pods: Pod[], pdb: PodDisruptionBudget, nowMs: number): DisruptedPods {
  const have = pdb.status?.disruptedPods;
  const out: DisruptedPods = { disruptedPods: {}, notDeleted: [] };
  if (!have) return out;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = have[pod.metadata.name!];
    if (at === undefined) continue;
    const expectedDeletion = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (!(expectedDeletion >= nowMs)) {
      out.notDeleted.push(pod);
      continue;
    }
    out.disruptedPods[pod.metadata.name!] = at;
    if (out.recheckAt === undefined || expectedDeletion < out.recheckAt) out.recheckAt = expectedDeletion;
  }
  return out;
}

/** countHealthyPods: Ready, not terminating, and not a disruption still in force. */
export function countHealthyPods(pods: Pod[], disruptedPods: Record<string, string>, nowMs: number): number {
  let n = 0;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = disruptedPods[pod.metadata.name!];
    if (at !== undefined && Date.parse(at) + DELETION_TIMEOUT_MS > nowMs) continue;
    if (isPodReady(pod)) n++;
  }
  return n;
}

/**
 * apimeta.SetStatusCondition on a copy: lastTransitionTime moves only when the status changes
 * (or the condition is new).
 */
export function setStatusCondition(conditions: Condition[] | undefined, c: Omit<Condition, 'lastTransitionTime'>, stamp: string): Condition[] {
  const out = [...(conditions ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  if (i < 0) out.push({ ...c, lastTransitionTime: stamp });
  else {
    const old = out[i]!;
    out[i] = { ...old, ...c, lastTransitionTime: old.status === c.status ? old.lastTransitionTime : stamp };
  }
  return out;
}

/** pdbhelper.UpdateDisruptionAllowedCondition. */
export function withDisruptionAllowedCondition(status: PodDisruptionBudgetStatus, stamp: string): PodDisruptionBudgetStatus {
  const allowed = status.disruptionsAllowed > 0;
  const conditions = setStatusCondition(
    status.conditions,
    {
      type: DISRUPTION_ALLOWED,
      status: allowed ? 'True' : 'False',
      reason: allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
      message: '',
      observedGeneration: status.observedGeneration,
    },
    stamp,
  );
  return { ...status, conditions };
}

/** pdbhelper.ConditionsAreUpToDate. */
export function conditionsAreUpToDate(pdb: PodDisruptionBudget): boolean {
  const s = pdb.status;
  const c = s?.conditions?.find((x) => x.type === DISRUPTION_ALLOWED);
  if (!s || !c || s.observedGeneration !== pdb.metadata.generation) return false;
  return s.disruptionsAllowed > 0 ? c.status === 'True' && c.reason === SUFFICIENT_PODS : c.status === 'False' && c.reason === INSUFFICIENT_PODS;
}

const sameMap = (a: Record<string, string> | undefined, b: Record<string, string>): boolean => {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a![k] === b[k]);
};

export interface Counts {
  currentHealthy: number;
  desiredHealthy: number;
  expectedCount: number;
  disruptedPods: Record<string, string>;
}

/**
 * updatePdbStatus: the status to write, or undefined when the PDB's status already says it all.
 * With no expected pods nothing may be disrupted (a PDB whose pods are just appearing stays safe).
 */
export function nextStatus(pdb: PodDisruptionBudget, c: Counts, stamp: string): PodDisruptionBudgetStatus | undefined {
  let disruptionsAllowed = c.currentHealthy - c.desiredHealthy;
  if (c.expectedCount <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const s = pdb.status;
  if (
    s &&
    s.currentHealthy === c.currentHealthy &&
    s.desiredHealthy === c.desiredHealthy &&
    s.expectedPods === c.expectedCount &&
    s.disruptionsAllowed === disruptionsAllowed &&
    sameMap(s.disruptedPods, c.disruptedPods) &&
    s.observedGeneration === pdb.metadata.generation &&
    conditionsAreUpToDate(pdb)
  ) {
    return undefined;
  }
  const status: PodDisruptionBudgetStatus = {
    ...(Object.keys(c.disruptedPods).length ? { disruptedPods: c.disruptedPods } : {}),
    disruptionsAllowed,
    currentHealthy: c.currentHealthy,
    desiredHealthy: c.desiredHealthy,
    expectedPods: c.expectedCount,
    observedGeneration: pdb.metadata.generation,
    conditions: s?.conditions,
  };
  return withDisruptionAllowedCondition(status, stamp);
}

/** failSafe: no disruption allowed, and DisruptionAllowed False with reason SyncFailed and the error. */
export function failSafeStatus(pdb: PodDisruptionBudget, message: string, stamp: string): PodDisruptionBudgetStatus {
  const s: PodDisruptionBudgetStatus = { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, ...pdb.status, disruptionsAllowed: 0 };
  const conditions = setStatusCondition(
    s.conditions,
    { type: DISRUPTION_ALLOWED, status: 'False', reason: SYNC_FAILED, message, observedGeneration: s.observedGeneration },
    stamp,
  );
  return { ...s, conditions };
}
