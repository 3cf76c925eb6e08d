// How many pods a PodDisruptionBudget expects and how many must stay healthy, as kube's disruption
// controller computes them (getExpectedPodCount, getExpectedScale and its controller finders).
import {
  getControllerOf,
  getScaledValueFromIntOrPercent,
  parseApiVersion,
  type Deployment,
  type KObject,
  type OwnerReference,
  type Pod,
  type PodDisruptionBudget,
  type ReplicaSet,
  type ReplicationController,
  type StatefulSet,
} from '@skiff/api';

/** What the finders read: a get by namespace and name (a shared informer's lister). */
export interface Getter<T> {
  get(namespace: string | undefined, name: string): T | undefined;
}

export interface ScaleSources {
  replicaSets: Getter<ReplicaSet>;
  deployments: Getter<Deployment>;
  statefulSets: Getter<StatefulSet>;
  replicationControllers: Getter<ReplicationController>;
}

export interface ExpectedCount {
  expectedCount: number;
  desiredHealthy: number;
  /** names of selected pods without a controller (kube records an UnmanagedPods Event for them) */
  unmanagedPods: string[];
}

interface ControllerAndScale {
  uid: string;
  scale: number;
}

/**
 * verifyGroupKind: does the reference name `kind` in one of `groups`? A malformed apiVersion is an
 * error (schema.ParseGroupVersion's).
 */
function verifyGroupKind(ref: OwnerReference, kind: string, groups: string[]): boolean {
  if (ref.apiVersion.split('/').length > 2) throw new Error(`unexpected GroupVersion string: ${ref.apiVersion}`);
  return ref.kind === kind && groups.includes(parseApiVersion(ref.apiVersion).group);
}

/** The object `ref` names in `namespace`, if the lister has it with the same uid. */
function same<T extends KObject>(getter: Getter<T>, ref: OwnerReference, namespace: string): T | undefined {
  const o = getter.get(namespace, ref.name);
  return o && o.metadata.uid === ref.uid ? o : undefined;
}

const replicasOf = (o: { spec?: { replicas?: number } }) => o.spec?.replicas ?? 1;

type Finder = (s: ScaleSources, ref: OwnerReference, namespace: string) => ControllerAndScale | undefined;

const finders: Finder[] = [
  // a ReplicationController
  (s, ref, ns) => {
    if (!verifyGroupKind(ref, 'ReplicationController', [''])) return undefined;
    const rc = same(s.replicationControllers, ref, ns);
    return rc && { uid: rc.metadata.uid!, scale: replicasOf(rc) };
  },
  // a Deployment, through the pod's ReplicaSet
  (s, ref, ns) => {
    if (!verifyGroupKind(ref, 'ReplicaSet', ['apps', 'extensions'])) return undefined;
    const rs = same(s.replicaSets, ref, ns);
    const depRef = rs && getControllerOf(rs);
    if (!depRef || !verifyGroupKind(depRef, 'Deployment', ['apps', 'extensions'])) return undefined;
    const dep = same(s.deployments, depRef, ns);
    return dep && { uid: dep.metadata.uid!, scale: replicasOf(dep) };
  },
  // a ReplicaSet no Deployment controls
  (s, ref, ns) => {
    if (!verifyGroupKind(ref, 'ReplicaSet', ['apps', 'extensions'])) return undefined;
    const rs = same(s.replicaSets, ref, ns);
    if (!rs || getControllerOf(rs)?.kind === 'Deployment') return undefined;
    return { uid: rs.metadata.uid!, scale: replicasOf(rs) };
  },
  // a StatefulSet
  (s, ref, ns) => {
    if (!verifyGroupKind(ref, 'StatefulSet', ['apps'])) return undefined;
    const ss = same(s.statefulSets, ref, ns);
    return ss && { uid: ss.metadata.uid!, scale: replicasOf(ss) };
  },
];

/**
 * The sum of the scales of the pods' controllers (each controller once); pods without a controller
 * are listed, not counted. A controller no finder knows (a DaemonSet, a Job, one not in the cache)
 * is an error, as in kube.
 */
export function expectedScale(s: ScaleSources, pods: Pod[]): { expectedCount: number; unmanagedPods: string[] } {
  const scales = new Map<string, number>();
  const unmanagedPods: string[] = [];
  for (const pod of pods) {
    const ref = getControllerOf(pod);
    if (!ref) {
      unmanagedPods.push(pod.metadata.name!);
      continue;
    }
    if (scales.has(ref.uid)) continue;
    let found: ControllerAndScale | undefined;
    for (const find of finders) if ((found = find(s, ref, pod.metadata.namespace!))) break;
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
    scales.set(found.uid, found.scale);
  }
  let expectedCount = 0;
  for (const n of scales.values()) expectedCount += n;
  return { expectedCount, unmanagedPods };
}

/** getExpectedPodCount: expectedPods and desiredHealthy from maxUnavailable or minAvailable. */
export function expectedPodCount(s: ScaleSources, pdb: PodDisruptionBudget, pods: Pod[]): ExpectedCount {
  const { maxUnavailable, minAvailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { expectedCount, unmanagedPods } = expectedScale(s, pods);
    const max = getScaledValueFromIntOrPercent(maxUnavailable, expectedCount, true);
    return { expectedCount, desiredHealthy: Math.max(0, expectedCount - max), unmanagedPods };
  }
  if (minAvailable !== undefined && minAvailable !== null) {
    // a plain count needs no controller: the selected pods are what is expected
    if (typeof minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanagedPods: [] };
    const { expectedCount, unmanagedPods } = expectedScale(s, pods);
    return { expectedCount, desiredHealthy: getScaledValueFromIntOrPercent(minAvailable, expectedCount, true), unmanagedPods };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
}
