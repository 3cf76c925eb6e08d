// A ReplicaSet's (or ReplicationController's) status from its pods, as kube's calculateStatus:
// replicas, fullyLabeledReplicas (pods carrying every label of the template), readyReplicas,
// availableReplicas (ready for minReadySeconds), and the ReplicaFailure condition while creating or
// deleting pods fails. Plus what decides whether a write is needed and when availability changes.
import { isPodAvailable, isPodReady, podReadyCondition, type AppsCondition, type Pod } from '@skiff/api';
import { now as kernelNow } from '@skiff/kernel';
import type { ReplicaOwner, ReplicaOwnerStatus } from './kinds.ts';

export const REPLICA_FAILURE = 'ReplicaFailure';

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The status `pods` (the owner's active pods) give, with the failure of this sync's creates or
 * deletes; `terminating` (the owner's pods being deleted) is counted when the kind has the field.
 */
export function calculateStatus(owner: ReplicaOwner, pods: readonly Pod[], manageError: unknown, now = Date.now(), terminating?: number): ReplicaOwnerStatus {
  const spec = owner.spec ?? {};
  const templateLabels = Object.entries(spec.template?.metadata?.labels ?? {});
  const minReadySeconds = spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata.labels ?? {};
    if (templateLabels.every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  const status: ReplicaOwnerStatus = { ...(owner.status ?? { replicas: 0 }) };
  const failure = status.conditions?.find((c) => c.type === REPLICA_FAILURE);
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const cond: AppsCondition = { type: REPLICA_FAILURE, status: 'True', lastTransitionTime: kernelNow(), reason, message: errorMessage(manageError) };
    status.conditions = [...(status.conditions ?? []), cond];
  } else if (manageError === undefined && failure) {
    const rest = status.conditions!.filter((c) => c.type !== REPLICA_FAILURE);
    if (rest.length) status.conditions = rest;
    else delete status.conditions;
  }
  status.replicas = pods.length;
  status.fullyLabeledReplicas = fullyLabeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  if (terminating !== undefined) status.terminatingReplicas = terminating;
  return status;
}

const sameConditions = (a: AppsCondition[] | undefined, b: AppsCondition[] | undefined) =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/** updateReplicaSetStatus' short cut: nothing to write when the counts, conditions and observedGeneration already say it. */
export function statusUnchanged(owner: ReplicaOwner, next: ReplicaOwnerStatus): boolean {
  const cur = owner.status;
  return (
    (cur?.replicas ?? 0) === next.replicas &&
    (cur?.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (cur?.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (cur?.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    cur?.terminatingReplicas === next.terminatingReplicas &&
    (owner.metadata.generation ?? 0) === (cur?.observedGeneration ?? 0) &&
    sameConditions(cur?.conditions, next.conditions)
  );
}

/**
 * Milliseconds until the first ready pod that is not yet available becomes so (undefined: none
 * will without another change). Availability is a matter of time, with no event to wake the
 * controller: it re-queues itself for then.
 */
export function nextAvailableInMs(pods: readonly Pod[], minReadySeconds: number, now = Date.now()): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    if (!isPodReady(pod) || isPodAvailable(pod, minReadySeconds, now)) continue;
    const since = Date.parse(podReadyCondition(pod.status)?.lastTransitionTime ?? '');
    if (!Number.isFinite(since)) continue;
    // available once strictly past since + minReadySeconds
    const wait = Math.max(since + minReadySeconds * 1000 - now + 1, 1);
    if (next === undefined || wait < next) next = wait;
  }
  return next;
}
