// @skiff/client: what every controller and agent stands on, as client-go's tools/cache and
// util/workqueue: shared informers with indexed stores and listers, a rate-limited work queue, an
// event recorder, leader election, expectations, a write tracker (read-your-writes), the helpers
// kube's workload controllers share (claims, slow-start batches, hashes, ControllerRevision
// history), and the controller kit.
export { Indexer, Lister, objectKey, splitKey, NAMESPACE_INDEX, type IndexFunc } from './store.ts';
export { SharedInformer, type EventHandlers, type InformerSelection } from './shared-informer.ts';
export { SharedInformerFactory, type InformerLease } from './informer-factory.ts';
export { SyncLoop, type SyncLoopOptions } from './sync-loop.ts';
export { runProcess, type ProcessResult } from './run-process.ts';
export { findUp } from './find-up.ts';
export { WorkQueue, RateLimiter, type WorkQueueOptions, type RateLimiterOptions } from './work-queue.ts';
export { EventRecorder, type EventRecorderOptions, type ObjectEvent } from './event-recorder.ts';
export { LeaderElector, newIdentity, type LeaderElectionOptions } from './leader-elector.ts';
export { Expectations, type Raise } from './expectations.ts';
export { WriteTracker } from './write-tracker.ts';
export { LastWritten } from './last-written.ts';
export { CONTROLLER_INDEX, controllerIndexKey, ORPHAN_INDEX, orphanIndexKey } from './indexes.ts';
export { ControllerRefManager, recheckDeletionTimestamp, type ControllerRefManagerOptions } from './claim.ts';
export { PodControl, podFromTemplate, podsPrefix, isNamespaceTerminating } from './pod-control.ts';
export { slowStartBatch, SLOW_START_INITIAL_BATCH_SIZE, type SlowStartOptions, type SlowStartResult } from './slow-start.ts';
export { aggregateErrors } from './errors.ts';
export { TypedKernel, type TypedList, type TypedWatch, type TypedWatchEvent } from './typed-kernel.ts';
export { goJson, semanticJson } from './canonical-json.ts';
export { fnv32, fnv32a, safeEncodeString, computeHash } from './hash.ts';
export {
  CONTROLLER_REVISION_HASH_LABEL, templatePatch, revisionDataJson, ownerPatchJson, revisionMatches, revisionTemplate,
  hashControllerRevision, revisionName, newControllerRevision, equalRevision, sortRevisions, maxRevision, nextRevision,
  type TemplatePatch,
} from './history.ts';
export { createControllerRevision, updateControllerRevision } from './history-store.ts';
export { followLeadership, kitConfigSchema, type Leadership } from './leadership.ts';
export {
  defineController, CONTROLLER_LEASE,
  type ControllerSpec, type ControllerRuntime, type Reconcile, type ReconcileResult, type OwnedKind, type WatchedKind, type KitConfig,
} from './controller.ts';
