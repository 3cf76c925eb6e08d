// The status of the workload kinds (apps/v1, batch/v1, core/v1 ReplicationController): every field
// their controllers write, and Kubernetes' status checks (counters never negative, replica counts
// never above status.replicas).
import { asObj, cause, child, type StatusCause } from '../causes.ts';
import { S } from '../structural.ts';
import { keyedList } from '../patch-meta.ts';
import { validateInt } from '../validation.ts';

/** metav1-style condition with the fields the apps controllers write. */
export const workloadCondition = S.obj({ type: S.str, status: S.str, lastUpdateTime: S.str, lastTransitionTime: S.str, reason: S.str, message: S.str });

export const deploymentStatusSchema = S.obj({
  observedGeneration: S.int64,
  replicas: S.int,
  updatedReplicas: S.int,
  readyReplicas: S.int,
  availableReplicas: S.int,
  unavailableReplicas: S.int,
  terminatingReplicas: S.int,
  collisionCount: S.int,
  conditions: keyedList(workloadCondition, 'type'),
});

export const replicaSetStatusSchema = S.obj({
  replicas: S.int,
  fullyLabeledReplicas: S.int,
  readyReplicas: S.int,
  availableReplicas: S.int,
  terminatingReplicas: S.int,
  observedGeneration: S.int64,
  conditions: keyedList(workloadCondition, 'type'),
});

export const statefulSetStatusSchema = S.obj({
  observedGeneration: S.int64,
  replicas: S.int,
  readyReplicas: S.int,
  currentReplicas: S.int,
  updatedReplicas: S.int,
  availableReplicas: S.int,
  currentRevision: S.str,
  updateRevision: S.str,
  collisionCount: S.int,
  conditions: keyedList(workloadCondition, 'type'),
});

export const daemonSetStatusSchema = S.obj({
  currentNumberScheduled: S.int,
  numberMisscheduled: S.int,
  desiredNumberScheduled: S.int,
  numberReady: S.int,
  observedGeneration: S.int64,
  updatedNumberScheduled: S.int,
  numberAvailable: S.int,
  numberUnavailable: S.int,
  collisionCount: S.int,
  conditions: keyedList(workloadCondition, 'type'),
});

export const jobStatusSchema = S.obj({
  // kube: patchMergeKey type (strategic merge), listType atomic (apply)
  conditions: { ...S.arr(S.obj({ type: S.str, status: S.str, lastProbeTime: S.str, lastTransitionTime: S.str, reason: S.str, message: S.str })), 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-list-type': 'atomic' },
  startTime: S.str,
  completionTime: S.str,
  active: S.int,
  succeeded: S.int,
  failed: S.int,
  terminating: S.int,
  ready: S.int,
  completedIndexes: S.str,
  failedIndexes: S.str,
  uncountedTerminatedPods: S.obj({ succeeded: S.strArr, failed: S.strArr }),
});

export const cronJobStatusSchema = S.obj({
  active: S.arr(S.obj({ apiVersion: S.str, kind: S.str, name: S.str, namespace: S.str, uid: S.str, resourceVersion: S.str, fieldPath: S.str })),
  lastScheduleTime: S.str,
  lastSuccessfulTime: S.str,
});

/** Non-negative integer fields of a status (absent ones are fine). */
export function validateNonNegative(status: unknown, fields: readonly string[]): StatusCause[] {
  const st = asObj(status);
  if (!st) return [];
  return fields.flatMap((f) => validateInt(st[f], child('status', f), { min: 0 }));
}

/**
 * ReplicaSet / ReplicationController / StatefulSet / Deployment status checks: replicas,
 * observedGeneration and `counts` non-negative, each of `counts` at most status.replicas, and
 * availableReplicas at most readyReplicas. `extra` are further non-negative fields.
 */
export function validateReplicaCounters(status: unknown, counts: readonly string[], extra: readonly string[] = []): StatusCause[] {
  const st = asObj(status);
  if (!st) return [];
  const out = validateNonNegative(st, ['replicas', 'observedGeneration', ...counts, ...extra]);
  if (out.length) return out;
  const n = (f: string) => (typeof st[f] === 'number' ? (st[f] as number) : 0);
  for (const f of counts) if (n(f) > n('replicas')) out.push(cause.invalid(child('status', f), st[f], 'cannot be greater than status.replicas'));
  if (counts.includes('availableReplicas') && counts.includes('readyReplicas') && n('availableReplicas') > n('readyReplicas'))
    out.push(cause.invalid('status.availableReplicas', st.availableReplicas, 'cannot be greater than readyReplicas'));
  return out;
}
