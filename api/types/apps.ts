// apps/v1: Deployment, ReplicaSet, DaemonSet, StatefulSet, ControllerRevision.
import type { PodTemplateSpec } from './core-pod.ts';
import type { PersistentVolumeClaimTemplate } from './core.ts';
import type { ConditionStatus, IntOrString, KObject, LabelSelector, Time } from './meta.ts';

/** The condition shape apps/v1 kinds use (DeploymentCondition adds lastUpdateTime). */
export interface AppsCondition {
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

// ---- Deployment ----
export interface DeploymentStrategy {
  type?: 'Recreate' | 'RollingUpdate';
  rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString };
}
export interface DeploymentSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}
export interface DeploymentCondition extends AppsCondition {
  /** Available, Progressing, ReplicaFailure */
  type: string;
  lastUpdateTime?: Time;
}
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  terminatingReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}
export interface Deployment extends KObject {
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

// ---- ReplicaSet ----
export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector: LabelSelector;
  template?: PodTemplateSpec;
}
export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  terminatingReplicas?: number;
  observedGeneration?: number;
  conditions?: AppsCondition[];
}
export interface ReplicaSet extends KObject {
  spec?: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

// ---- DaemonSet ----
export interface DaemonSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete';
  rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString };
}
export interface DaemonSetSpec {
  selector: LabelSelector;
  template: PodTemplateSpec;
  updateStrategy?: DaemonSetUpdateStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}
export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: AppsCondition[];
}
export interface DaemonSet extends KObject {
  spec?: DaemonSetSpec;
  status?: DaemonSetStatus;
}

// ---- StatefulSet ----
export interface StatefulSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete';
  rollingUpdate?: { partition?: number; maxUnavailable?: IntOrString };
}
export interface StatefulSetPersistentVolumeClaimRetentionPolicy {
  whenDeleted?: 'Retain' | 'Delete';
  whenScaled?: 'Retain' | 'Delete';
}
export interface StatefulSetSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  volumeClaimTemplates?: PersistentVolumeClaimTemplate[];
  serviceName?: string;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  updateStrategy?: StatefulSetUpdateStrategy;
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: StatefulSetPersistentVolumeClaimRetentionPolicy;
  ordinals?: { start?: number };
}
export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  conditions?: AppsCondition[];
  availableReplicas?: number;
}
export interface StatefulSet extends KObject {
  spec?: StatefulSetSpec;
  status?: StatefulSetStatus;
}

// ---- ControllerRevision ----
export interface ControllerRevision extends KObject {
  /** the serialized state (for DaemonSet and StatefulSet: a patch with spec.template) */
  data?: unknown;
  revision: number;
}
