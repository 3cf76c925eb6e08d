// @skiff/api: what every layer says about objects. Typed Kubernetes objects, quantities, selectors,
// names, ResourceRefs, error predicates and the small object helpers controllers share.
// It imports nothing from the repository (node builtins only).
export * from './refs.ts';
export * from './errors.ts';
export * from './names.ts';
export * from './quantity.ts';
export * from './label-selector.ts';
export * from './label-selector-string.ts';
export * from './node-selector.ts';
export * from './time.ts';
export * from './int-or-percent.ts';
export * from './cron.ts';
export * from './pods.ts';
export * from './qos.ts';
export * from './owners.ts';
export * from './taints.ts';
export * from './ipv4.ts';
export * from './volumes.ts';
export * from './extended-resources.ts';
export type * from './types/meta.ts';
export type * from './types/core-pod.ts';
export type * from './types/core.ts';
export type * from './types/apps.ts';
export type * from './types/batch.ts';
export type * from './types/coordination.ts';
export type * from './types/policy.ts';
export type * from './types/scheduling.ts';
export type * from './types/autoscaling.ts';
export type * from './types/metrics.ts';
export type * from './types/discovery.ts';
export type * from './types/networking-ingress.ts';
export type * from './types/networking-policy.ts';
export type * from './types/storage.ts';
