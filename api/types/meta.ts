// meta/v1: what every object carries.

/** RFC 3339 timestamp ("2024-01-02T03:04:05Z"). */
export type Time = string;
/** RFC 3339 timestamp with microseconds. */
export type MicroTime = string;
/** A resource quantity: "100m", "1Gi", or a plain number. */
export type Quantity = string | number;
/** intstr.IntOrString: 3 or "25%". */
export type IntOrString = number | string;
export type ConditionStatus = 'True' | 'False' | 'Unknown';
/** Resource name ("cpu", "memory", "nvidia.com/gpu") -> quantity. */
export type ResourceList = Record<string, Quantity>;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [extra: string]: unknown;
}

/** Any Kubernetes-shaped object. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** metav1.Condition, as the newer kinds (PodDisruptionBudget, ...) use it. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: Time;
  reason: string;
  message: string;
}

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export interface DeleteOptions {
  apiVersion?: string;
  kind?: string;
  gracePeriodSeconds?: number;
  preconditions?: Preconditions;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  dryRun?: string[];
}
