// The revisions of a workload, as kubectl reads them: a Deployment's are the ReplicaSets it controls
// (each with a `deployment.kubernetes.io/revision` annotation; the "new" one is the oldest whose
// template equals the Deployment's, pod-template-hash aside), a DaemonSet's or StatefulSet's are the
// ControllerRevisions it controls (each `data` a strategic merge patch that replaces spec.template).
import type { KObject } from '@skiff/kernel';
// the patch functions alone: the kernel's entry point would load the whole kernel into the CLI
import { applyPatch } from '@skiff/kernel/patch';
import type { Obj } from './rollout-targets.ts';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';

/** metav1.IsControlledBy: a controller ownerReference with the owner's uid. */
export function controlledBy(o: Obj, owner: Obj): boolean {
  const uid = owner.metadata?.uid;
  return ((o.metadata?.ownerReferences ?? []) as Obj[]).some((r) => r.controller === true && r.uid === uid);
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);

/**
 * apiequality.Semantic.DeepEqual over JSON: like a deep equality, except that a missing field, null,
 * an empty map and an empty list are the same (Go's nil and empty maps and slices).
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/** A copy of a pod template without the pod-template-hash label. */
export function withoutHash(t: Obj | undefined): Obj {
  const copy: Obj = structuredClone(t ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return copy;
}

export const equalIgnoreHash = (t1: Obj | undefined, t2: Obj | undefined): boolean => semanticEqual(withoutHash(t1), withoutHash(t2));

/** Oldest first; the same instant by name (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: Obj, b: Obj): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/**
 * deploymentutil.GetAllReplicaSets: the ReplicaSets the Deployment controls, old ones (oldest first)
 * then the new one (the oldest whose template matches the Deployment's), if any.
 */
export function deploymentReplicaSets(d: Obj, listed: Obj[]): { all: Obj[]; newRS: Obj | undefined } {
  const owned = listed.filter((rs) => controlledBy(rs, d)).sort(byCreation);
  const newRS = owned.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
  const old = owned.filter((rs) => rs !== newRS);
  return { all: newRS ? [...old, newRS] : old, newRS };
}

/** The template a ControllerRevision restores: its strategic merge patch applied to the object. */
export function templateOfRevision(owner: Obj, cr: Obj): Obj | undefined {
  const patched = applyPatch(owner as KObject, 'strategic', cr.data ?? {}) as Obj;
  return patched.spec?.template;
}

/** What the DaemonSet and StatefulSet controllers store as a revision's data for the object now. */
export function revisionPatchOf(owner: Obj): Obj {
  return { spec: { template: { ...structuredClone(owner.spec?.template ?? {}), $patch: 'replace' } } };
}

/** kubectl's daemonSetMatch / statefulsetMatch: the revision's data is exactly the object's template patch. */
export function revisionMatches(owner: Obj, cr: Obj): boolean {
  return jsonEqual(revisionPatchOf(owner), cr.data);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return a === b;
}
