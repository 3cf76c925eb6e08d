// A StatefulSet's status, as kube's stateful_set_control.go computes and writes it: counts of the
// pods the API has (created), ready, available, at the current and at the update revision; a rolling
// update completes when every replica is updated and ready; the status is written only when it
// differs, through the status subresource.
import { STATEFUL_SETS, type ControllerRevision, type Instant, type Pod, type StatefulSet, type StatefulSetStatus } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { isCreated, isRunningAndAvailable, isRunningAndReady, isTerminating, podRevision, replicasOf } from './identity.ts';

/** Every field the controller owns, zeros included (omitted on write as Go's omitempty does). */
export interface Status {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
}

export function newStatus(set: StatefulSet, current: ControllerRevision, update: ControllerRevision, collisionCount: number): Status {
  return {
    observedGeneration: set.metadata.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision: current.metadata.name!,
    updateRevision: update.metadata.name!,
    collisionCount,
  };
}

/** Recount the replica fields over `lists` (updateStatus / computeReplicaStatus). */
export function countReplicas(status: Status, minReadySeconds: number, now: Instant, ...lists: Pod[][]): void {
  status.replicas = status.readyReplicas = status.availableReplicas = status.currentReplicas = status.updatedReplicas = 0;
  for (const list of lists) {
    for (const pod of list) {
      const created = isCreated(pod);
      if (created) status.replicas++;
      if (isRunningAndReady(pod)) {
        status.readyReplicas++;
        if (isRunningAndAvailable(pod, minReadySeconds, now)) status.availableReplicas++;
      }
      if (created && !isTerminating(pod)) {
        const rev = podRevision(pod);
        if (rev === status.currentRevision) status.currentReplicas++;
        if (rev === status.updateRevision) status.updatedReplicas++;
      }
    }
  }
}

/** A rolling update is complete when every replica is updated and ready: the update revision becomes current. */
export function completeRollingUpdate(set: StatefulSet, status: Status): void {
  const n = replicasOf(set);
  if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && status.updatedReplicas === n && status.readyReplicas === n && status.replicas === n) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

/** Does the computed status differ from the stored one in a field kube compares? */
export function inconsistentStatus(set: StatefulSet, s: Status): boolean {
  const o = set.status ?? ({ replicas: 0 } as StatefulSetStatus);
  return (
    s.observedGeneration > (o.observedGeneration ?? 0) ||
    s.replicas !== (o.replicas ?? 0) ||
    s.currentReplicas !== (o.currentReplicas ?? 0) ||
    s.readyReplicas !== (o.readyReplicas ?? 0) ||
    s.updatedReplicas !== (o.updatedReplicas ?? 0) ||
    s.currentRevision !== (o.currentRevision ?? '') ||
    s.availableReplicas !== (o.availableReplicas ?? 0) ||
    s.updateRevision !== (o.updateRevision ?? '')
  );
}

/** The status as apps/v1 serializes it (omitempty fields left out when zero). */
export function toStatusObject(s: Status): StatefulSetStatus {
  const out: StatefulSetStatus = { replicas: s.replicas };
  if (s.observedGeneration) out.observedGeneration = s.observedGeneration;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.currentReplicas) out.currentReplicas = s.currentReplicas;
  if (s.updatedReplicas) out.updatedReplicas = s.updatedReplicas;
  if (s.currentRevision) out.currentRevision = s.currentRevision;
  if (s.updateRevision) out.updateRevision = s.updateRevision;
  out.collisionCount = s.collisionCount;
  out.availableReplicas = s.availableReplicas;
  return out;
}

/** Write the status onto the set as read (its resourceVersion is the precondition: a stale read gets 409 and a retry). */
export async function writeStatus(kernel: Kernel, set: StatefulSet, s: Status): Promise<void> {
  await kernel.update(STATEFUL_SETS, { ...set, status: toStatusObject(s) }, { subresource: 'status' });
}

/** Milliseconds until the next Ready pod has been ready for minReadySeconds (undefined when none waits). */
export function untilNextAvailable(pods: Pod[], minReadySeconds: number, now: number): number | undefined {
  let next: number | undefined;
  for (const p of pods) {
    const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True' || !ready.lastTransitionTime) continue;
    // available once strictly past lastTransitionTime + minReadySeconds
    const wait = Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 + 1 - now;
    if (wait > 0 && (next === undefined || wait < next)) next = wait;
  }
  return next;
}
