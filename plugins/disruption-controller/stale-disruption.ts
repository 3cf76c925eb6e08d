// Stale DisruptionTarget conditions, as kube's disruption controller cleans them up: the eviction
// subresource marks a pod DisruptionTarget=True before deleting it; when the pod is still there,
// not terminating, after the timeout (the delete never happened), the condition goes back to False.
import { getPodCondition, isPodTerminal, type Pod } from '@skiff/api';

export const DISRUPTION_TARGET = 'DisruptionTarget';
/** conditions the kubelet adds are never stale: the pod may take any time to start terminating */
const TERMINATION_BY_KUBELET = 'TerminationByKubelet';

/** Queue keys of pods to check, beside the PDBs' "namespace/name" keys (a namespace has no ':'). */
export const POD_KEY_PREFIX = 'pod:';
export const podKey = (pod: Pod) => `${POD_KEY_PREFIX}${pod.metadata.namespace}/${pod.metadata.name}`;

/**
 * nonTerminatingPodHasStaleDisruptionCondition: whether the pod has a DisruptionTarget condition this
 * controller owns, and in how many ms it turns stale (0: now).
 */
export function staleDisruption(pod: Pod, nowMs: number, timeoutMs: number): { has: boolean; inMs: number } {
  if (pod.metadata.deletionTimestamp) return { has: false, inMs: 0 };
  const c = getPodCondition(pod.status, DISRUPTION_TARGET);
  if (!c || c.status !== 'True' || c.reason === TERMINATION_BY_KUBELET || isPodTerminal(pod)) return { has: false, inMs: 0 };
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  const inMs = Number.isFinite(since) ? Math.max(0, timeoutMs - (nowMs - since)) : 0;
  return { has: true, inMs };
}

/** The pod's status with DisruptionTarget reset to False (reason and message kept, as server-side apply keeps others' fields). */
export function resetDisruptionTarget(pod: Pod, stamp: string): Pod {
  const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === DISRUPTION_TARGET ? { ...c, status: 'False' as const, lastTransitionTime: stamp } : c));
  return { ...pod, status: { ...pod.status, conditions } };
}
