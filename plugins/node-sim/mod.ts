// @skiff/plugin-node-sim: hollow (simulated) nodes, thousands in one process.
export { HollowNodes, type HollowNodesStats, type HollowNodesOptions, type StopOptions } from './hollow.ts';
export { HollowMetrics, CPU_USAGE_ANNOTATION, MEMORY_USAGE_ANNOTATION } from './metrics.ts';
export { Limiter } from './pacing.ts';
export {
  DEFAULTS,
  configSchema,
  expandNodes,
  loadNodeGroups,
  parseNodeGroups,
  parsePairs,
  parseTaint,
  resolveConfig,
  type HollowNodesConfig,
  type NodeGroup,
  type NodeImage,
  type NodeShape,
  type NodeSpec,
  type ResolvedShape,
  type Taint,
} from './config.ts';
export { KUBELET_VERSION, RUNTIME_VERSION, LEASE_NAMESPACE, nodeIP, podCIDR } from './objects.ts';
export { default as nodeSimPlugin } from './plugin.ts';
