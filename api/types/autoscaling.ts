// autoscaling/v1 Scale (the scale subresource) and autoscaling/v2 HorizontalPodAutoscaler.
import type { ConditionStatus, KObject, LabelSelector, Quantity, Time } from './meta.ts';

export interface Scale extends KObject {
  spec?: { replicas?: number };
  /** selector: the label selector in string form ("app=web,tier in (a,b)") */
  status?: { replicas: number; selector?: string };
}

export interface CrossVersionObjectReference {
  kind: string;
  name: string;
  apiVersion?: string;
}
export interface MetricIdentifier {
  name: string;
  selector?: LabelSelector;
}
export interface MetricTarget {
  type: 'Utilization' | 'Value' | 'AverageValue';
  value?: Quantity;
  averageValue?: Quantity;
  averageUtilization?: number;
}
export interface MetricValueStatus {
  value?: Quantity;
  averageValue?: Quantity;
  averageUtilization?: number;
}
export interface MetricSpec {
  type: 'Object' | 'Pods' | 'Resource' | 'ContainerResource' | 'External';
  object?: { describedObject: CrossVersionObjectReference; target: MetricTarget; metric: MetricIdentifier };
  pods?: { metric: MetricIdentifier; target: MetricTarget };
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; target: MetricTarget; container: string };
  external?: { metric: MetricIdentifier; target: MetricTarget };
}
export interface MetricStatus {
  type: MetricSpec['type'];
  object?: { metric: MetricIdentifier; current: MetricValueStatus; describedObject: CrossVersionObjectReference };
  pods?: { metric: MetricIdentifier; current: MetricValueStatus };
  resource?: { name: string; current: MetricValueStatus };
  containerResource?: { name: string; current: MetricValueStatus; container: string };
  external?: { metric: MetricIdentifier; current: MetricValueStatus };
}
export interface HPAScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}
export interface HPAScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: HPAScalingPolicy[];
  tolerance?: Quantity;
}
export interface HorizontalPodAutoscalerSpec {
  scaleTargetRef: CrossVersionObjectReference;
  minReplicas?: number;
  maxReplicas: number;
  metrics?: MetricSpec[];
  behavior?: { scaleUp?: HPAScalingRules; scaleDown?: HPAScalingRules };
}
export interface HorizontalPodAutoscalerCondition {
  /** ScalingActive, AbleToScale, ScalingLimited */
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}
export interface HorizontalPodAutoscalerStatus {
  observedGeneration?: number;
  lastScaleTime?: Time;
  currentReplicas?: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[];
  conditions?: HorizontalPodAutoscalerCondition[];
}
export interface HorizontalPodAutoscaler extends KObject {
  spec?: HorizontalPodAutoscalerSpec;
  status?: HorizontalPodAutoscalerStatus;
}
