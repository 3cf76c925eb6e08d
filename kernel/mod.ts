// @skiff/kernel: the public surface. Everything a plugin or a front end needs, nothing more.
export type * from './types.ts';
export { StatusError, errors, isStatusError, toStatus, successStatus, type Status, type StatusCause } from './status.ts';
export type { KindDefinition, PrinterColumn, ScalePaths, ServedObjects } from './schema/kind-definition.ts';
export { SkiffKernel, gv, type KernelOptions, type ReadinessCheck } from './kernel.ts';
export { startNatsServer, findNatsServer, freePort, type EmbeddedNats, type NatsServerOptions } from './store/nats-server.ts';
export { setupTelemetry, tracer, inSpan, type TelemetryConfig } from './telemetry/tracing.ts';
export { now } from './object-lifecycle.ts';
export { applyPatch } from './patch.ts';
export * from './schema/limits.ts';
export { checkObjectAddress, possibleName, possibleNamespace } from './schema/object-address.ts';
export { Informer, type InformerHandlers, type InformerOptions } from './informer.ts';
export { toScale, labelSelectorString, SCALE_API_VERSION, type ScaleParentKind } from './scale.ts';
export { evictPod, VIOLATES_BUDGET, MAX_DISRUPTED_POD_SIZE, type EvictOptions } from './eviction.ts';
export { eventsV1CreateCauses } from './schema/builtin/core-misc.ts';
export { SYSTEM_PRIORITY_CLASSES, SYSTEM_PRIORITY_CLASS_PREFIX, HIGHEST_USER_DEFINABLE_PRIORITY } from './schema/builtin/scheduling.ts';
