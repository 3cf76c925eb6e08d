// @skiff/plugin-metrics-server: the resource metrics API (metrics.k8s.io/v1beta1) from the usage
// node agents and hollow nodes report (protocol.ts).
export { default as metricsServerPlugin, PLUGIN_TYPE, type MetricsServerConfig } from './plugin.ts';
export { MetricsStore, METRICS_API_VERSION, type ObjectLookup } from './store.ts';
export { metricsKinds, METRICS_GROUP, METRICS_VERSION } from './kinds.ts';
export { cpuQuantity, memoryQuantity, goDuration } from './quantities.ts';
export * from './protocol.ts';
