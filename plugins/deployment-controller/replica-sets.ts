// Which of a deployment's ReplicaSets is the new one (its template equals the deployment's), which
// are old, and the orders kube's controller walks them in.
import type { Deployment, ReplicaSet } from '@skiff/api';
import { revisionOf } from './annotations.ts';
import { replicaSetTemplateKey, templateKey } from './hash.ts';
import { filterActive, replicasOf } from './replicas.ts';

/** Oldest first; equal creation times by name (controller.ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return Date.parse(ta) - Date.parse(tb) || (ta < tb ? -1 : 1);
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Larger first; equal sizes oldest first (ReplicaSetsBySizeOlder, for scaling down). */
export const bySizeOlder = (a: ReplicaSet, b: ReplicaSet) => replicasOf(b) - replicasOf(a) || byCreation(a, b);
/** Larger first; equal sizes newest first (ReplicaSetsBySizeNewer, for scaling up). */
export const bySizeNewer = (a: ReplicaSet, b: ReplicaSet) => replicasOf(b) - replicasOf(a) || byCreation(b, a);

/** Lowest revision first; unparseable or equal revisions by creation (ReplicaSetsByRevision). */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (ra === undefined || rb === undefined || ra === rb) return byCreation(a, b);
  return ra - rb;
}

/** The oldest RS whose template equals the deployment's (there may be several after upgrades). */
export function findNewReplicaSet(d: Deployment, rsList: ReplicaSet[]): ReplicaSet | undefined {
  const want = templateKey(d.spec?.template);
  return [...rsList].sort(byCreation).find((rs) => replicaSetTemplateKey(rs) === want);
}

/** All RSs but the new one. */
export function findOldReplicaSets(d: Deployment, rsList: ReplicaSet[], newRS = findNewReplicaSet(d, rsList)): ReplicaSet[] {
  return rsList.filter((rs) => !newRS || rs.metadata.uid !== newRS.metadata.uid);
}

/** The only active RS, or the newest when none is active; undefined when several are active. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}
