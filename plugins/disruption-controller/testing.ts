// Test helpers: workloads, pods owned by them, pod readiness written as a kubelet would (no kubelet
// runs in unit tests), and PDBs.
import {
  rfc3339,
  DEPLOYMENTS,
  newControllerRef,
  PODS,
  POD_DISRUPTION_BUDGETS,
  REPLICA_SETS,
  STATEFUL_SETS,
  type IntOrString,
  type KObject,
  type OwnerReference,
  type Pod,
  type PodDisruptionBudget,
} from '@skiff/api';
import type { Kernel } from '@skiff/kernel';


const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

export async function createDeployment(kernel: Kernel, ns: string, name: string, replicas: number, labels: Record<string, string>): Promise<KObject> {
  return kernel.create(DEPLOYMENTS, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: { replicas, selector: { matchLabels: labels }, template: template(labels) },
  });
}

export async function createReplicaSet(kernel: Kernel, ns: string, name: string, replicas: number, labels: Record<string, string>, owner?: KObject): Promise<KObject> {
  return kernel.create(REPLICA_SETS, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: ns, ...(owner ? { ownerReferences: [newControllerRef(owner, 'apps/v1', 'Deployment')] } : {}) },
    spec: { replicas, selector: { matchLabels: labels }, template: template(labels) },
  });
}

export async function createStatefulSet(kernel: Kernel, ns: string, name: string, replicas: number, labels: Record<string, string>): Promise<KObject> {
  return kernel.create(STATEFUL_SETS, {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns },
    spec: { replicas, serviceName: name, selector: { matchLabels: labels }, template: template(labels) },
  });
}

export interface PodOpts {
  labels?: Record<string, string>;
  /** the controller (its kind from the object) */
  owner?: KObject;
  /** bound to a node: a delete then only marks it (graceful), as for a running pod */
  nodeName?: string;
  ready?: boolean;
}

/** A pod (Ready unless `ready: false`), as its controller would create it. */
export async function createPod(kernel: Kernel, ns: string, name: string, o: PodOpts = {}): Promise<Pod> {
  const ownerReferences: OwnerReference[] | undefined = o.owner ? [newControllerRef(o.owner, String(o.owner.apiVersion), String(o.owner.kind))] : undefined;
  const pod = (await kernel.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: o.labels, ...(ownerReferences ? { ownerReferences } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(o.nodeName ? { nodeName: o.nodeName } : {}) },
  })) as Pod;
  return o.ready === false ? pod : setReady(kernel, pod, true);
}

/** Write the pod's status as its kubelet would: Running, Ready True or False. */
export async function setReady(kernel: Kernel, pod: Pod, ready: boolean): Promise<Pod> {
  const cur = (await kernel.get(PODS, pod.metadata.namespace, pod.metadata.name!)) as Pod;
  const status = ready ? 'True' : 'False';
  return (await kernel.update(
    PODS,
    { ...cur, status: { ...cur.status, phase: 'Running', conditions: [{ type: 'Ready', status, lastTransitionTime: rfc3339() }] } } as KObject,
    { subresource: 'status' },
  )) as Pod;
}

export async function createPdb(
  kernel: Kernel,
  ns: string,
  name: string,
  spec: { minAvailable?: IntOrString; maxUnavailable?: IntOrString; selector?: { matchLabels: Record<string, string> } },
): Promise<PodDisruptionBudget> {
  return (await kernel.create(POD_DISRUPTION_BUDGETS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: ns }, spec })) as PodDisruptionBudget;
}

export const getPdb = async (kernel: Kernel, ns: string, name: string) => (await kernel.get(POD_DISRUPTION_BUDGETS, ns, name)) as PodDisruptionBudget;
