// scheduling.k8s.io/v1: PriorityClass (cluster-scoped; its fields are top level, no spec).
import type { KObject } from './meta.ts';

export interface PriorityClass extends KObject {
  value: number;
  globalDefault?: boolean;
  description?: string;
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never';
}
