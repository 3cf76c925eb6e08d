// Test helpers: ReplicaSet / ReplicationController objects, the pods an owner controls, and pod
// status writes standing in for a kubelet (none runs in these tests).
import { rfc3339, getControllerOf, PODS, REPLICA_SETS, REPLICATION_CONTROLLERS, type Pod, type PodStatus, type ReplicaSet, type ReplicationController } from '@skiff/api';
import type { Kernel, KObject } from '@skiff/kernel';

export const NS = 'default';

const TEMPLATE_SPEC = { containers: [{ name: 'app', image: 'busybox' }], terminationGracePeriodSeconds: 0 };

export interface OwnerOptions {
  replicas?: number;
  minReadySeconds?: number;
  /** selector labels (default app=<name>) */
  selector?: Record<string, string>;
  /** template labels (default: the selector's) */
  labels?: Record<string, string>;
  ownerReferences?: KObject['metadata']['ownerReferences'];
  finalizers?: string[];
}

export function replicaSet(name: string, o: OwnerOptions = {}): ReplicaSet {
  const selector = o.selector ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS, ownerReferences: o.ownerReferences, finalizers: o.finalizers },
    spec: {
      replicas: o.replicas ?? 1,
      minReadySeconds: o.minReadySeconds,
      selector: { matchLabels: selector },
      template: { metadata: { labels: o.labels ?? selector }, spec: TEMPLATE_SPEC },
    },
  };
}

export function replicationController(name: string, o: OwnerOptions = {}): ReplicationController {
  const selector = o.selector ?? { app: name };
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: NS, finalizers: o.finalizers },
    spec: {
      replicas: o.replicas ?? 1,
      minReadySeconds: o.minReadySeconds,
      selector,
      template: { metadata: { labels: o.labels ?? selector }, spec: TEMPLATE_SPEC },
    },
  };
}

export async function createRS(kernel: Kernel, name: string, o: OwnerOptions = {}): Promise<ReplicaSet> {
  return (await kernel.create(REPLICA_SETS, replicaSet(name, o))) as ReplicaSet;
}

export async function createRC(kernel: Kernel, name: string, o: OwnerOptions = {}): Promise<ReplicationController> {
  return (await kernel.create(REPLICATION_CONTROLLERS, replicationController(name, o))) as ReplicationController;
}

/** A bare pod (no owner) with these labels. */
export async function createPod(kernel: Kernel, name: string, labels: Record<string, string>, extra: Partial<KObject['metadata']> = {}): Promise<Pod> {
  return (await kernel.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels, ...extra },
    spec: TEMPLATE_SPEC,
  })) as Pod;
}

/** Every pod of the namespace (a list: fine in tests, never in a controller). */
export async function allPods(kernel: Kernel): Promise<Pod[]> {
  return (await kernel.list(PODS, { namespace: NS })).items as Pod[];
}

/** Pods whose controller is `owner` (by uid), not being deleted unless `all`. */
export async function podsOf(kernel: Kernel, owner: KObject, all = false): Promise<Pod[]> {
  return (await allPods(kernel)).filter((p) => getControllerOf(p)?.uid === owner.metadata.uid && (all || !p.metadata.deletionTimestamp));
}

/** Bind a pod to a node (pods/binding, as the scheduler does). */
export async function bindPod(kernel: Kernel, pod: Pod, node: string): Promise<void> {
  await kernel.create(PODS, { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, namespace: NS }, target: { kind: 'Node', name: node } }, { subresource: 'binding' });
}

export interface PodState {
  phase?: 'Pending' | 'Running' | 'Unknown' | 'Succeeded' | 'Failed';
  ready?: boolean;
  /** when the Ready condition last changed (default now) */
  readySince?: Date;
  restarts?: number;
}


/** Write a pod's status as a kubelet would: phase, the Ready condition, one container status. */
export async function setPodState(kernel: Kernel, name: string, s: PodState): Promise<Pod> {
  const pod = (await kernel.get(PODS, NS, name)) as Pod;
  const ready = s.ready ?? false;
  const status: PodStatus = {
    ...pod.status,
    phase: s.phase ?? 'Running',
    conditions: [
      ...(pod.status?.conditions ?? []).filter((c) => c.type !== 'Ready'),
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: rfc3339(s.readySince ?? new Date()) },
    ],
    containerStatuses: [{ name: 'app', ready, restartCount: s.restarts ?? 0, image: 'busybox', imageID: '' }],
  };
  return (await kernel.update(PODS, { ...pod, status }, { subresource: 'status' })) as Pod;
}

/** Make every pod of `owner` Running and Ready (since `readySince`). */
export async function makeReady(kernel: Kernel, owner: KObject, readySince = new Date()): Promise<void> {
  for (const p of await podsOf(kernel, owner)) await setPodState(kernel, p.metadata.name!, { phase: 'Running', ready: true, readySince });
}
