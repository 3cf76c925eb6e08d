// The annotations a Deployment and its ReplicaSets carry, as kube's deployment util writes them and
// kubectl (rollout history / undo) reads them.
import type { Deployment, KObject, ReplicaSet } from '@skiff/api';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** apps.DeprecatedRollbackTo (extensions/v1beta1 rollbacks) */
export const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
/** kube's maxRevHistoryLengthInChars */
export const MAX_REVISION_HISTORY_CHARS = 2000;

/** Deployment annotations that are not copied to its ReplicaSets (kube's annotationsToSkip). */
export const ANNOTATIONS_TO_SKIP: ReadonlySet<string> = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  ROLLBACK_TO_ANNOTATION,
]);

/** Go's strconv.Atoi / ParseInt: an optional sign and decimal digits, nothing else. */
function parseGoInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function intAnnotation(o: KObject, key: string): number | undefined {
  return parseGoInt(o.metadata.annotations?.[key]);
}

/** The revision annotation: 0 when absent, undefined when unparseable. */
export function revisionOf(o: KObject): number | undefined {
  const v = o.metadata.annotations?.[REVISION_ANNOTATION];
  return v === undefined ? 0 : parseGoInt(v);
}

export function maxRevision(rss: ReplicaSet[]): number {
  let max = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (v !== undefined && v > max) max = v;
  }
  return max;
}

/** Set the deployment's revision annotation (new metadata, shared parts untouched); true when it changed. */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  if (d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return false;
  d.metadata = { ...d.metadata, annotations: { ...d.metadata.annotations, [REVISION_ANNOTATION]: revision } };
  return true;
}

/** desired-replicas and max-replicas (in place); true when either changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    a[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata.annotations;
  return !a || a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** Copy the deployment's annotations but the skipped ones (never removes any); true when changed. */
function copyDeploymentAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * The new RS's annotations (in place): the deployment's copied, the revision raised to `newRevision`
 * when lower (an RS brought back keeps its former revisions in revision-history, bounded in length),
 * and for an RS about to be created the replica annotations. True when anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: string, exists: boolean, desired: number, max: number): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const a = (rs.metadata.annotations ??= {});
  const had = REVISION_ANNOTATION in a;
  const oldRevision = a[REVISION_ANNOTATION] ?? '';
  let oldInt = parseGoInt(oldRevision);
  if (oldInt === undefined) {
    if (oldRevision !== '') return false; // not a number: leave it
    oldInt = 0;
  }
  const newInt = parseGoInt(newRevision);
  if (newInt === undefined) return false;
  if (oldInt < newInt) {
    a[REVISION_ANNOTATION] = newRevision;
    changed = true;
    if (had) {
      // rolling back to this RS: keep the revisions it served before
      const history = a[REVISION_HISTORY_ANNOTATION] ?? '';
      if (history === '') a[REVISION_HISTORY_ANNOTATION] = oldRevision;
      else {
        const old = history.split(',');
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > MAX_REVISION_HISTORY_CHARS && start < old.length) total -= old[start++].length + 1;
        if (total <= MAX_REVISION_HISTORY_CHARS) a[REVISION_HISTORY_ANNOTATION] = [...old.slice(start), oldRevision].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, desired, max)) changed = true;
  return changed;
}
