// A StatefulSet pod's identity, as kube's stateful_set_utils.go has it: the name <set>-<ordinal>, the
// labels that name it, hostname and subdomain, the volumes of its claims, its revision label, and
// the predicates on a pod's state the controller decides by.
import {
  isPodAvailable, isPodReady, nameIsDNSSubdomain, newControllerRef,
  type Instant, type PersistentVolumeClaim, type Pod, type StatefulSet, type Volume,
} from '@skiff/api';

export const STS_API_VERSION = 'apps/v1';
export const STS_KIND = 'StatefulSet';
/** apps.StatefulSetPodNameLabel */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** apps.PodIndexLabel (feature PodIndexLabel, on by default) */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** apps.StatefulSetRevisionLabel: the name of the ControllerRevision a pod was made from */
export const REVISION_LABEL = 'controller-revision-hash';

const STATEFUL_POD = /^(.*)-([0-9]+)$/;
const INT32_MAX = 2 ** 31 - 1;

/** The parent set's name and the ordinal in a pod's name ("" and -1 when the name has none). */
export function parentAndOrdinal(name: string | undefined): { parent: string; ordinal: number } {
  const m = STATEFUL_POD.exec(name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1], ordinal: n <= INT32_MAX ? n : -1 };
}

export const ordinalOf = (pod: Pod): number => parentAndOrdinal(pod.metadata.name).ordinal;

export const isMemberOf = (set: StatefulSet, pod: Pod): boolean => parentAndOrdinal(pod.metadata.name).parent === set.metadata.name;

export const replicasOf = (set: StatefulSet): number => set.spec?.replicas ?? 1;

/** The first ordinal (spec.ordinals.start, else 0). */
export const startOrdinal = (set: StatefulSet): number => set.spec?.ordinals?.start ?? 0;

/** The last ordinal, inclusive. */
export const endOrdinal = (set: StatefulSet): number => startOrdinal(set) + replicasOf(set) - 1;

export function podInOrdinalRange(pod: Pod, set: StatefulSet): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

export const podName = (set: StatefulSet, ordinal: number): string => `${set.metadata.name}-${ordinal}`;

export const claimName = (set: StatefulSet, template: string, ordinal: number): string => `${template}-${set.metadata.name}-${ordinal}`;

/** The claims a pod of `ordinal` uses, one per volumeClaimTemplate (in template order), with their template names. */
export function claimsFor(set: StatefulSet, ordinal: number): { template: string; claim: PersistentVolumeClaim }[] {
  const matchLabels = set.spec?.selector?.matchLabels ?? {};
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => {
    const template = t.metadata?.name ?? '';
    const meta = structuredClone(t.metadata ?? {});
    const claim: PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { ...meta, name: claimName(set, template, ordinal), namespace: set.metadata.namespace, labels: { ...(meta.labels ?? {}), ...matchLabels } },
      spec: structuredClone(t.spec ?? {}),
    };
    return { template, claim };
  });
}

/** Do the pod's name, namespace and name label match its place in the set? */
export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata.name);
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.name === podName(set, ordinal) &&
    pod.metadata.namespace === set.metadata.namespace &&
    pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name
  );
}

/** Does every volumeClaimTemplate have its volume in the pod, naming this ordinal's claim? */
export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const name = t.metadata?.name ?? '';
    if (volumes.get(name)?.persistentVolumeClaim?.claimName !== claimName(set, name, ordinal)) return false;
  }
  return true;
}

/** Set the pod's name, namespace and identity labels (in place). */
export function updateIdentity(set: StatefulSet, pod: Pod): void {
  const ordinal = ordinalOf(pod);
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace;
  const labels = (pod.metadata.labels ??= {});
  labels[POD_NAME_LABEL] = pod.metadata.name;
  labels[POD_INDEX_LABEL] = String(ordinal);
}

/** Identity plus the fields set only at creation: hostname and subdomain. */
function initIdentity(set: StatefulSet, pod: Pod): void {
  updateIdentity(set, pod);
  const spec = (pod.spec ??= { containers: [] });
  spec.hostname = pod.metadata.name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
}

/** Replace the claim volumes of the pod with this ordinal's claims (other volumes stay, after them). */
export function updateStorage(set: StatefulSet, pod: Pod): void {
  const claims = claimsFor(set, ordinalOf(pod));
  const names = new Set(claims.map((c) => c.template));
  const volumes: Volume[] = claims.map((c) => ({ name: c.template, persistentVolumeClaim: { claimName: c.claim.metadata.name! } }));
  for (const v of pod.spec?.volumes ?? []) if (!names.has(v.name)) volumes.push(v);
  (pod.spec ??= { containers: [] }).volumes = volumes;
}

export const podRevision = (pod: Pod): string => pod.metadata.labels?.[REVISION_LABEL] ?? '';

/** The prefix of generateName, as controller.GetPodFromTemplate makes it. */
function podsPrefix(owner: string): string {
  const prefix = `${owner}-`;
  return nameIsDNSSubdomain(prefix, true).length ? owner : prefix;
}

/** A new pod of `set` (whose template is the one to use) at `ordinal`. */
export function newStatefulSetPod(set: StatefulSet, ordinal: number): Pod {
  const tpl = set.spec?.template ?? {};
  const meta = tpl.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(set, ordinal),
      generateName: podsPrefix(set.metadata.name!),
      labels: { ...(meta.labels ?? {}) },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers?.length ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [newControllerRef(set, STS_API_VERSION, STS_KIND)],
    },
    spec: structuredClone(tpl.spec ?? { containers: [] }),
  };
  initIdentity(set, pod);
  updateStorage(set, pod);
  return pod;
}

/**
 * A new pod at `ordinal`, from the current revision when a rolling update's partition keeps that
 * ordinal back, else from the update revision (kube's newVersionedStatefulSetPod, including the
 * operator precedence of its condition).
 */
export function newVersionedStatefulSetPod(
  currentSet: StatefulSet,
  updateSet: StatefulSet,
  currentRevision: string,
  updateRevision: string,
  ordinal: number,
): Pod {
  const us = currentSet.spec?.updateStrategy;
  const start = startOrdinal(currentSet);
  const keepCurrent =
    ((us?.type ?? 'RollingUpdate') === 'RollingUpdate' && us?.rollingUpdate == null && ordinal < start + (currentSet.status?.currentReplicas ?? 0)) ||
    (us?.rollingUpdate != null && ordinal < start + (us.rollingUpdate.partition ?? 0));
  const pod = newStatefulSetPod(keepCurrent ? currentSet : updateSet, ordinal);
  pod.metadata.labels![REVISION_LABEL] = keepCurrent ? currentRevision : updateRevision;
  return pod;
}

// ---- the state of a pod, as the controller reads it ----

/** The API server gives every pod it stores a phase: a pod without one is only planned. */
export const isCreated = (pod: Pod): boolean => !!pod.status?.phase;
export const isPending = (pod: Pod): boolean => pod.status?.phase === 'Pending';
export const isFailed = (pod: Pod): boolean => pod.status?.phase === 'Failed';
export const isSucceeded = (pod: Pod): boolean => pod.status?.phase === 'Succeeded';
export const isTerminating = (pod: Pod): boolean => !!pod.metadata.deletionTimestamp;
export const isRunningAndReady = (pod: Pod): boolean => pod.status?.phase === 'Running' && isPodReady(pod);
export const isRunningAndAvailable = (pod: Pod, minReadySeconds: number, now: Instant): boolean => isPodAvailable(pod, minReadySeconds, now);
export const isHealthy = (pod: Pod): boolean => isRunningAndReady(pod) && !isTerminating(pod);
/** Not counted as available: terminating, or not running, ready and available for minReadySeconds. */
export const isUnavailable = (pod: Pod, minReadySeconds: number, now: Instant): boolean =>
  !isHealthy(pod) || !isRunningAndAvailable(pod, minReadySeconds, now);
export const allowsBurst = (set: StatefulSet): boolean => set.spec?.podManagementPolicy === 'Parallel';
