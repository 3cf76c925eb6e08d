// policy/v1: PodDisruptionBudget and Eviction.
import type { Condition, DeleteOptions, IntOrString, KObject, LabelSelector, ObjectMeta, Time } from './meta.ts';

export interface PodDisruptionBudgetSpec {
  minAvailable?: IntOrString;
  maxUnavailable?: IntOrString;
  selector?: LabelSelector;
  unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
}
export interface PodDisruptionBudgetStatus {
  observedGeneration?: number;
  /** pod name -> when the eviction was admitted; the controller removes entries it has seen */
  disruptedPods?: Record<string, Time>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  /** DisruptionAllowed */
  conditions?: Condition[];
}
export interface PodDisruptionBudget extends KObject {
  spec?: PodDisruptionBudgetSpec;
  status?: PodDisruptionBudgetStatus;
}

/** POSTed to pods/<name>/eviction. */
export interface Eviction {
  apiVersion: 'policy/v1';
  kind: 'Eviction';
  metadata: ObjectMeta;
  deleteOptions?: DeleteOptions;
}
