// metrics.k8s.io/v1beta1 NodeMetrics ("nodes") and PodMetrics ("pods"), registered with the kernel
// as kinds served from the store's memory (read-only: get and list), as metrics-server's aggregated
// API is: discovery lists them, the REST API serves them at /apis/metrics.k8s.io/v1beta1/...
import type { KindDefinition } from '@skiff/kernel';
import type { MetricsStore } from './store.ts';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';

export function metricsKinds(store: MetricsStore): KindDefinition[] {
  return [
    {
      group: METRICS_GROUP,
      version: METRICS_VERSION,
      kind: 'NodeMetrics',
      resource: 'nodes',
      namespaced: false,
      served: { get: (_ns, name) => store.nodeMetrics(name), list: () => store.listNodes() },
    },
    {
      group: METRICS_GROUP,
      version: METRICS_VERSION,
      kind: 'PodMetrics',
      resource: 'pods',
      namespaced: true,
      served: { get: (ns, name) => (ns ? store.podMetrics(ns, name) : undefined), list: (ns) => store.listPods(ns) },
    },
  ];
}
