// The two kinds one reconcile core serves: apps/v1 ReplicaSet (a metav1.LabelSelector) and the legacy
// core/v1 ReplicationController (a plain label map), as kube runs its ReplicationManager on the
// ReplicaSet code through a conversion. Everything kind-specific the core needs is here.
import {
  isEmptySelector, REPLICA_SETS, REPLICATION_CONTROLLERS, selectorMatches,
  type AppsCondition, type KObject, type PodTemplateSpec, type ResourceRef,
} from '@skiff/api';

/** What a ReplicaSet and a ReplicationController share (spec and status fields of the same names). */
export interface ReplicaOwner extends KObject {
  spec?: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: unknown;
    template?: PodTemplateSpec;
  };
  status?: ReplicaOwnerStatus;
}

export interface ReplicaOwnerStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  terminatingReplicas?: number;
  observedGeneration?: number;
  conditions?: AppsCondition[];
  [extra: string]: unknown;
}

export type LabelMatcher = (labels: Record<string, string>) => boolean;

export interface ReplicaKind {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  /** the plugin's name */
  name: string;
  /** source.component of its Events, as kube-controller-manager names it */
  component: string;
  /** the selector as a predicate on labels; a malformed one selects nothing */
  matcher(owner: ReplicaOwner): LabelMatcher;
  /** an empty (or missing) selector: such an owner is not woken by orphans (it would take them all) */
  emptySelector(owner: ReplicaOwner): boolean;
  /** status.terminatingReplicas exists (apps/v1 ReplicaSet, DeploymentReplicaSetTerminatingReplicas: beta, on, in 1.35) */
  terminatingReplicas: boolean;
}

const NOTHING: LabelMatcher = () => false;

export const REPLICA_SET_KIND: ReplicaKind = {
  ref: REPLICA_SETS,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'replicaset-controller',
  component: 'replicaset-controller',
  terminatingReplicas: true,
  matcher(owner) {
    const sel = owner.spec?.selector;
    if (sel === undefined || sel === null) return NOTHING; // LabelSelectorAsSelector(nil): labels.Nothing()
    return (labels) => selectorMatches(sel, labels);
  },
  emptySelector: (owner) => isEmptySelector(owner.spec?.selector),
};

export const REPLICATION_CONTROLLER_KIND: ReplicaKind = {
  ref: REPLICATION_CONTROLLERS,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  name: 'replicationcontroller-controller',
  component: 'replication-controller',
  terminatingReplicas: false,
  matcher(owner) {
    const sel = owner.spec?.selector;
    if (typeof sel !== 'object' || sel === null || Array.isArray(sel)) return NOTHING;
    // labels.SelectorFromSet: every pair must be there (an empty map selects everything, as in kube)
    const pairs = Object.entries(sel as Record<string, unknown>);
    return (labels) => pairs.every(([k, v]) => labels[k] === v);
  },
  emptySelector(owner) {
    const sel = owner.spec?.selector;
    return typeof sel !== 'object' || sel === null || Array.isArray(sel) || Object.keys(sel).length === 0;
  },
};
