// Taint-based eviction (kube's taint-eviction-controller): a pod on a node with NoExecute taints
// goes at once when it does not tolerate one of them, and otherwise when the shortest
// tolerationSeconds of the tolerations it uses runs out, counted from the taint's timeAdded.
// Tolerations without tolerationSeconds tolerate forever.
import { tolerationToleratesTaint, type Pod, type Taint } from '@skiff/api';

export interface EvictionPlan {
  /** pods to delete now */
  now: Pod[];
  /** ms until the next pod is due, if one is */
  nextInMs?: number;
}

/**
 * When (ms since the epoch) `pod` must go given the node's NoExecute taints; undefined: never.
 * As kube's getMinTolerationTime: the shortest tolerationSeconds among the tolerations the pod uses
 * for these taints (none with seconds: forever; ≤ 0: at once), counted from when the first of the
 * taints was added (restart-safe: the time is on the taint, not in this process' memory).
 */
export function evictionTime(pod: Pod, taints: readonly Taint[]): number | undefined {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return undefined;
  const start = Math.min(...noExecute.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : Date.now())));
  const tolerations = pod.spec?.tolerations ?? [];
  let secs = Infinity;
  for (const t of noExecute) {
    const used = tolerations.filter((tol) => tolerationToleratesTaint(tol, t));
    if (used.length === 0) return start; // not tolerated: now
    for (const tol of used) if (typeof tol.tolerationSeconds === 'number') secs = Math.min(secs, Math.max(0, tol.tolerationSeconds));
  }
  return secs === Infinity ? undefined : start + secs * 1000;
}

export function planEvictions(pods: readonly Pod[], taints: readonly Taint[], nowMs: number): EvictionPlan {
  const plan: EvictionPlan = { now: [] };
  if (!taints.some((t) => t.effect === 'NoExecute')) return plan;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    const at = evictionTime(p, taints);
    if (at === undefined) continue;
    if (at <= nowMs) plan.now.push(p);
    else plan.nextInMs = Math.min(plan.nextInMs ?? Infinity, at - nowMs);
  }
  return plan;
}
