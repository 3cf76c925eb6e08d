// metrics.k8s.io/v1beta1: what the resource metrics API serves (kubectl top, the HPA).
import type { KObject, ResourceList, Time } from './meta.ts';

export interface NodeMetrics extends KObject {
  timestamp: Time;
  /** e.g. "10s" */
  window: string;
  usage: ResourceList;
}
export interface ContainerMetrics {
  name: string;
  usage: ResourceList;
}
export interface PodMetrics extends KObject {
  timestamp: Time;
  window: string;
  containers: ContainerMetrics[];
}
