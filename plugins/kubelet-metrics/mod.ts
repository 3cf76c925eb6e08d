// @skiff/plugin-kubelet-metrics: the node agent's usage reports for the metrics API.
export { default as kubeletMetricsPlugin, type KubeletMetricsConfig } from './plugin.ts';
export { NodeSampler, parseMemInfo, parseProcStat, type CpuTimes, type NodeSample } from './proc.ts';
export { ContainerRates } from './containers.ts';
