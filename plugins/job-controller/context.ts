// What one Job sync works with (kube's syncJobCtx), and the controller state every sync shares.
import type { Job, JobCondition, Pod } from '@skiff/api';
import type { EventRecorder, Expectations, Lister, PodControl } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import type { BackoffRecord, BackoffStore } from './backoff.ts';
import type { Intervals } from './intervals.ts';

export interface JobControllerConfig {
  /** first pod-failure back-off (kube's DefaultJobPodFailureBackOff, 10 s) */
  podFailureBackoffMs: number;
  /** the cap of the doubling back-off (kube's MaxJobPodFailureBackOff, 10 min) */
  maxPodFailureBackoffMs: number;
}

/** Controller-wide state: clients, caches, expectations. */
export interface JobController {
  kernel: Kernel;
  recorder: EventRecorder;
  podControl: PodControl;
  expectations: Expectations;
  /**
   * kube's finalizerExpectations: per Job key, the uids of pods whose tracking finalizer removal was
   * sent and not yet seen, as keyed deletions (raise / deletionObserved); no TTL, as kube's. Until
   * seen, such a pod is neither counted again nor treated as uncounted.
   */
  finalizerExpectations: Expectations;
  backoff: BackoffStore;
  jobs: Lister<Job>;
  config: JobControllerConfig;
  now(): number;
  /** the pods of a Job (controller reference by uid), adopting matching orphans */
  podsForJob(job: Job): Promise<Pod[]>;
  /** write the Job's status; returns the Job as written */
  updateStatus(job: Job): Promise<Job>;
}

export interface SyncCtx {
  key: string;
  job: Job;
  pods: Pod[];
  activePods: Pod[];
  finishedCondition?: JobCondition;
  succeeded: number;
  failed: number;
  prevSucceededIndexes: Intervals;
  succeededIndexes: Intervals;
  /** set when backoffLimitPerIndex is */
  failedIndexes?: Intervals;
  newBackoffRecord: BackoffRecord;
  /** uids whose finalizer removal was sent but not seen yet */
  expectedRmFinalizers: Set<string>;
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  podsWithDelayedDeletionPerIndex: Map<number, Pod>;
  terminating: number;
  ready: number;
  /** the soonest this Job wants to be synced again (ms), if any */
  requeueAfterMs?: number;
}

export function requeue(ctx: SyncCtx, ms: number): void {
  const d = Math.max(0, Math.ceil(ms));
  if (ctx.requeueAfterMs === undefined || d < ctx.requeueAfterMs) ctx.requeueAfterMs = d;
}
