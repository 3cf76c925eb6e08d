// @skiff/client: what every controller and agent stands on, as client-go's tools/cache and
// util/workqueue: shared informers with indexed stores and listers, a rate-limited work queue, an
// event recorder, leader election, expectations, and the controller kit built from them.
export { Indexer, Lister, objectKey, splitKey, NAMESPACE_INDEX, type IndexFunc } from './store.ts';
export { SharedInformer, type EventHandlers, type InformerSelection } from './shared-informer.ts';
export { SharedInformerFactory, type InformerLease } from './informer-factory.ts';
export { WorkQueue, RateLimiter, type WorkQueueOptions, type RateLimiterOptions } from './work-queue.ts';
export { EventRecorder, type EventRecorderOptions, type ObjectEvent } from './event-recorder.ts';
export { LeaderElector, newIdentity, type LeaderElectionOptions } from './leader-elector.ts';
export { Expectations } from './expectations.ts';
export { CONTROLLER_INDEX, controllerIndexKey } from './indexes.ts';
export {
  defineController, CONTROLLER_LEASE,
  type ControllerSpec, type ControllerRuntime, type Reconcile, type ReconcileResult, type OwnedKind, type WatchedKind, type KitConfig,
} from './controller.ts';
