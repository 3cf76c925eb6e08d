// What the parts of the controller share: the environment (kernel, caches, recorder, tracker) and
// the unit of work of one reconcile — a working copy of the Deployment and its ReplicaSets, kept
// current with what this reconcile wrote so later steps never decide from a copy it made stale.
import type { Kernel } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import type { EventRecorder, WriteTracker } from '@skiff/client';
import type { Deployment, Pod, ReplicaSet } from '@skiff/api';

export interface SyncEnv {
  kernel: Kernel;
  recorder: EventRecorder;
  logger: Logger;
  tracker: WriteTracker;
  /** the informers' current copies */
  cachedReplicaSet(namespace: string, name: string): ReplicaSet | undefined;
  cachedDeployment(namespace: string, name: string): Deployment | undefined;
  /** the pods whose controller is this ReplicaSet */
  podsOf(rs: ReplicaSet): Pod[];
  now(): number;
}

export interface Work {
  /** "namespace/name" of the Deployment */
  key: string;
  /** working copy: status and annotations as this reconcile wants them */
  d: Deployment;
  /** the Deployment as last stored (read from the informer, then as this reconcile's writes returned it) */
  stored: Deployment;
  /** the Deployment's ReplicaSets; an entry is replaced by what a write returned */
  rsList: ReplicaSet[];
  /** handle the key again after this long (progress deadline checks) */
  requeueAfterMs?: number;
}

export const nsOf = (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? '';

/**
 * A copy of a cached Deployment to work on: new metadata and status objects (the code replaces
 * annotations, conditions and status wholesale, never edits nested ones), the spec shared.
 */
export function workingCopy(d: Deployment): Deployment {
  return { ...d, metadata: { ...d.metadata }, ...(d.status ? { status: { ...d.status } } : {}) };
}

/** A copy of a cached RS whose spec fields and annotations may be set (the template stays shared). */
export function editableCopy(rs: ReplicaSet): ReplicaSet {
  return { ...rs, metadata: { ...rs.metadata, annotations: { ...rs.metadata.annotations } }, spec: { ...rs.spec! } };
}
