// @skiff/plugin-scheduler: the public surface — the framework contract policies implement, the
// scheduler plugin (default export), and the runtime pieces for tests and benchmarks.
export * from './framework.ts';
export { default } from './plugin.ts';
export type { SchedulerPluginConfig } from './plugin.ts';
export { Scheduler, type SchedulerOptions, type SchedulerStats } from './scheduler.ts';
export { FrameworkRuntime, numFeasibleNodesToFind } from './runtime.ts';
export { SchedulerPolicyRegistry, DEFAULT_PROFILE, type PolicyEntry, type ProfilePolicies } from './policy-registry.ts';
export { SchedulerCache, CachedNode } from './cache.ts';
export { SchedulingQueue, type QueuedPod, type QueueOptions, type QueueLocation, type PodLess } from './queue.ts';
export { podInfoOf, podRequests, podHostPorts, parseResourceList, resourceValue } from './pod-info.ts';
export { fitErrorMessage, FailureReporter } from './reporter.ts';
