// persistentVolumeClaimRetentionPolicy, as kube's stateful_set_utils.go reads it: which owner
// references a StatefulSet's claims carry so that the garbage collector deletes them at the right
// time. Retain/Retain: none of ours. whenDeleted=Delete: the set controls the claim. whenScaled=Delete:
// the pod controls the claim once its ordinal is scaled away (the set, with Delete/Delete, before that).
import { newControllerRef, type KObject, type OwnerReference, type PersistentVolumeClaim, type Pod, type StatefulSet } from '@skiff/api';
import { podInOrdinalRange, STS_API_VERSION, STS_KIND } from './identity.ts';

export type RetentionType = 'Retain' | 'Delete';

export interface RetentionPolicy {
  whenDeleted: RetentionType;
  whenScaled: RetentionType;
}

export function retentionPolicy(set: StatefulSet): RetentionPolicy {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted ?? 'Retain', whenScaled: p?.whenScaled ?? 'Retain' };
}

interface Kind {
  apiVersion: string;
  kind: string;
}
const SET_KIND: Kind = { apiVersion: STS_API_VERSION, kind: STS_KIND };
const POD_KIND: Kind = { apiVersion: 'v1', kind: 'Pod' };

const refsOf = (o: KObject): OwnerReference[] => o.metadata.ownerReferences ?? [];

/** Same kind and name (the uid aside). */
const matchesRef = (ref: OwnerReference, obj: KObject, k: Kind): boolean => ref.apiVersion === k.apiVersion && ref.kind === k.kind && ref.name === obj.metadata.name;

/** Does `target` name `owner` by uid (controller or not)? */
export const hasOwnerRef = (target: KObject, owner: KObject): boolean => !!owner.metadata.uid && refsOf(target).some((r) => r.uid === owner.metadata.uid);

/** A reference to an object of this kind and name but another uid: it was made for an earlier incarnation. */
export function hasStaleOwnerRef(target: KObject, obj: KObject, k: Kind = POD_KIND): boolean {
  const ref = refsOf(target).find((r) => matchesRef(r, obj, k));
  return ref !== undefined && ref.uid !== (obj.metadata.uid ?? '');
}

/** With a Delete policy, a controller other than this set or pod (or a stale reference to them) takes the claim out of our hands. */
export function hasUnexpectedController(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  const p = retentionPolicy(set);
  if (p.whenScaled === 'Retain' && p.whenDeleted === 'Retain') return false;
  for (const r of refsOf(claim)) {
    if (matchesRef(r, set, SET_KIND)) {
      if (r.uid !== set.metadata.uid) return true;
      continue;
    }
    if (matchesRef(r, pod, POD_KIND)) {
      if (r.uid !== (pod.metadata.uid ?? '')) return true;
      continue;
    }
    if (r.controller) return true;
  }
  return false;
}

/** The set or pod owns the claim without being its controller (an older controller's references). */
function hasNonControllerOwner(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  return refsOf(claim).some((r) => (r.uid === set.metadata.uid || (!!pod.metadata.uid && r.uid === pod.metadata.uid)) && !r.controller);
}

/** Are the claim's references what the policy asks for this pod (isClaimOwnerUpToDate)? */
export function isClaimOwnerUpToDate(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  // a claim of an earlier set or pod is left to the garbage collector
  if (hasStaleOwnerRef(claim, set, SET_KIND) || hasStaleOwnerRef(claim, pod, POD_KIND)) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, set) || hasOwnerRef(claim, pod));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const p = retentionPolicy(set);
  const bySet = hasOwnerRef(claim, set);
  const byPod = hasOwnerRef(claim, pod);
  const scaledDown = !podInOrdinalRange(pod, set);
  if (p.whenScaled === 'Delete' && p.whenDeleted === 'Delete') return scaledDown !== bySet && scaledDown === byPod;
  if (p.whenScaled === 'Delete') return !bySet && scaledDown === byPod;
  if (p.whenDeleted === 'Delete') return bySet && !byPod;
  return !bySet && !byPod;
}

/** The claim's owner references as the policy wants them (updateClaimOwnerRefForSetAndPod). */
export function claimOwnerRefs(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): OwnerReference[] {
  const unexpected = hasUnexpectedController(claim, set, pod);
  let refs = refsOf(claim).filter((r) => !matchesRef(r, set, SET_KIND) && !matchesRef(r, pod, POD_KIND));
  if (unexpected) return refs;
  const add = (owner: KObject, k: Kind) => {
    if (!refs.some((r) => r.uid === owner.metadata.uid)) refs = [...refs, newControllerRef(owner, k.apiVersion, k.kind)];
  };
  const p = retentionPolicy(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  if (p.whenScaled === 'Delete' && scaledDown) add(pod, POD_KIND);
  else if (p.whenDeleted === 'Delete') add(set, SET_KIND);
  return refs;
}
