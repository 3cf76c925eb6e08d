// The StatefulSet control loop, as kube's defaultStatefulSetControl: one pass over a set's pods that
// creates missing ordinals, deletes terminal pods, scales down from the highest ordinal, and rolls
// the update revision out from the highest ordinal down to the partition. OrderedReady ("monotonic")
// stops at the first step it must wait for; Parallel ("burst") acts on every ordinal at once.
import { getScaledValueFromIntOrPercent, isNotFound, type ControllerRevision, type Pod, type StatefulSet } from '@skiff/api';
import { aggregateErrors, slowStartBatch, sortRevisions } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import { resolveRevisions, truncateHistory } from './history.ts';
import {
  allowsBurst, isCreated, isFailed, isPending, isRunningAndAvailable, isRunningAndReady, isSucceeded, isTerminating, isUnavailable,
  identityMatches, newVersionedStatefulSetPod, ordinalOf, podInOrdinalRange, podRevision, replicasOf, startOrdinal, storageMatches,
} from './identity.ts';
import type { StatefulPodControl } from './pod-control.ts';
import { applyRevision } from './revisions.ts';
import { completeRollingUpdate, countReplicas, inconsistentStatus, newStatus, writeStatus, type Status } from './status.ts';

/** Most concurrent writes of one batch in Parallel mode. */
export const MAX_BATCH_SIZE = 500;

/**
 * Monotonic: fn(0), fn(1), ... one by one, stopping when fn says to wait; burst: all of them in
 * slow-start batches (at most MAX_BATCH_SIZE at once), the errors of the batch that failed thrown
 * together. True when the pass must stop.
 */
export async function runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (!monotonic) {
    const r = await slowStartBatch(n, fn, { maxBatchSize: MAX_BATCH_SIZE });
    if (r.errors.length) throw aggregateErrors(r.errors);
    return false;
  }
  for (let i = 0; i < n; i++) if (await fn(i)) return true;
  return false;
}

const byOrdinalDescending = (a: Pod, b: Pod) => ordinalOf(b) - ordinalOf(a);

export class StatefulSetControl {
  constructor(
    private readonly kernel: Kernel,
    private readonly pods: StatefulPodControl,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One pass for `set` over the pods it owns and its revisions (UpdateStatefulSet): revisions, pods,
   * status, then history. Throws after writing what status it could when a step failed.
   */
  async update(set: StatefulSet, pods: Pod[], revisions: ControllerRevision[]): Promise<Status> {
    const sorted = sortRevisions([...revisions]);
    let current: ControllerRevision | undefined;
    let update: ControllerRevision | undefined;
    try {
      const r = await resolveRevisions(this.kernel, set, sorted);
      ({ current, update } = r);
      const { status, err } = await this.updatePods(set, r.current, r.update, r.collisionCount, pods);
      completeRollingUpdate(set, status);
      if (inconsistentStatus(set, status)) await writeStatus(this.kernel, set, status);
      if (err !== undefined) throw err;
      return status;
    } finally {
      await truncateHistory(this.kernel, set, pods, sorted, [current, update]);
    }
  }

  /** updateStatefulSet: the pod steps; returns the status as far as they got, and the error that stopped them. */
  private async updatePods(set: StatefulSet, current: ControllerRevision, update: ControllerRevision, collisionCount: number, pods: Pod[]): Promise<{ status: Status; err?: unknown }> {
    const now = this.now();
    const minReady = set.spec?.minReadySeconds ?? 0;
    const currentSet = applyRevision(set, current);
    const updateSet = applyRevision(set, update);
    const status = newStatus(set, current, update, collisionCount);
    countReplicas(status, minReady, now, pods);

    const start = startOrdinal(set);
    const n = replicasOf(set);
    const replicas: Pod[] = new Array(n);
    const condemned: Pod[] = [];
    for (const pod of pods) {
      if (podInOrdinalRange(pod, set)) replicas[ordinalOf(pod) - start] = pod;
      else if (ordinalOf(pod) >= 0) condemned.push(pod);
    }
    for (let i = 0; i < n; i++) replicas[i] ??= newVersionedStatefulSetPod(currentSet, updateSet, current.metadata.name!, update.metadata.name!, start + i);
    condemned.sort(byOrdinalDescending);

    // the first unavailable pod: the lowest replica, else the lowest condemned one
    let firstUnavailable = replicas.find((p) => isUnavailable(p, minReady, now));
    for (let i = condemned.length - 1; i >= 0 && !firstUnavailable; i--) if (isUnavailable(condemned[i], minReady, now)) firstUnavailable = condemned[i];

    if (set.metadata.deletionTimestamp) return { status };
    const monotonic = !allowsBurst(set);
    const recount = () => countReplicas(status, minReady, now, replicas, condemned);
    const ctl = this.pods;

    try {
      // each replica: recreate terminal pods, create missing ones, wait for each in order (monotonic)
      const processReplica = async (i: number): Promise<boolean> => {
        const pod = replicas[i];
        if (isFailed(pod) || isSucceeded(pod)) {
          // the replacement is made in a later pass, once this pod is gone
          if (!pod.metadata.deletionTimestamp) await ctl.deleteStatefulPod(set, pod);
          return true;
        }
        if (!isCreated(pod)) {
          if (ctl.podClaimIsStale(set, pod)) return true;
          await ctl.createStatefulPod(set, pod);
          if (monotonic) return true;
        }
        if (isPending(pod)) await ctl.createMissingClaims(set, pod);
        if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return true;
        const retentionMatch = !isCreated(pod) || ctl.claimsMatchRetentionPolicy(updateSet, pod);
        if (identityMatches(set, pod) && storageMatches(set, pod) && retentionMatch) return false;
        await ctl.updateStatefulPod(updateSet, pod);
        return false;
      };
      if (await runForAll(n, processReplica, monotonic)) return (recount(), { status });

      // claims of pods about to go get the owners the retention policy asks for
      const fixPodClaim = async (i: number): Promise<boolean> => {
        if (!ctl.claimsMatchRetentionPolicy(updateSet, condemned[i])) await ctl.updateClaimsForRetention(updateSet, condemned[i]);
        return false;
      };
      if (await runForAll(condemned.length, fixPodClaim, monotonic)) return (recount(), { status });

      // scale down, highest ordinal first; monotonic waits for each deletion and for unhealthy pods
      const processCondemned = async (i: number): Promise<boolean> => {
        const pod = condemned[i];
        if (isTerminating(pod)) return monotonic;
        if (monotonic && pod !== firstUnavailable && (!isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return true;
        await ctl.deleteStatefulPod(set, pod);
        return true;
      };
      if (await runForAll(condemned.length, processCondemned, monotonic)) return (recount(), { status });

      recount();
      const strategy = set.spec?.updateStrategy;
      if (strategy?.type === 'OnDelete') return { status };
      const partition = strategy?.rollingUpdate?.partition ?? 0;
      if (strategy?.rollingUpdate?.maxUnavailable !== undefined) {
        await this.rollWithMaxUnavailable(set, replicas, update, status, partition, minReady, now);
        return { status };
      }
      // delete the highest replica not at the update revision; wait for an unavailable one on the way
      for (let target = n - 1; target >= partition; target--) {
        const pod = replicas[target];
        if (podRevision(pod) !== update.metadata.name && !isTerminating(pod)) {
          await this.deleteIgnoringNotFound(set, pod);
          this.uncount(status, pod);
          return { status };
        }
        if (isUnavailable(pod, minReady, now)) return { status };
      }
      return { status };
    } catch (err) {
      recount();
      return { status, err };
    }
  }

  /** updateStatefulSetAfterInvariantEstablished: up to maxUnavailable replicas down at once, highest ordinals first. */
  private async rollWithMaxUnavailable(set: StatefulSet, replicas: Pod[], update: ControllerRevision, status: Status, partition: number, minReady: number, now: number): Promise<void> {
    const n = replicasOf(set);
    const maxUnavailable = Math.max(1, getScaledValueFromIntOrPercent(set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, n, false));
    const unavailable = replicas.filter((p) => isUnavailable(p, minReady, now)).length;
    if (unavailable >= maxUnavailable) return;
    let toDelete = maxUnavailable - unavailable;
    for (let target = n - 1; target >= partition && toDelete > 0; target--) {
      const pod = replicas[target];
      if (podRevision(pod) === update.metadata.name || isTerminating(pod)) continue;
      await this.deleteIgnoringNotFound(set, pod);
      toDelete--;
      this.uncount(status, pod);
    }
  }

  /**
   * A pod deleted for the update leaves currentReplicas. Kube decrements unconditionally; a pod at
   * neither revision (adopted, or from an older one) was never counted, and a negative count is an
   * invalid status.
   */
  private uncount(status: Status, pod: Pod): void {
    if (podRevision(pod) === status.currentRevision) status.currentReplicas--;
  }

  private async deleteIgnoringNotFound(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.pods.deleteStatefulPod(set, pod);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
