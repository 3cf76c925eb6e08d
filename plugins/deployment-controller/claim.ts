// Which ReplicaSets belong to a Deployment, as kube's ReplicaSetControllerRefManager: those whose
// controller it is and that its selector still selects; orphans it selects are adopted (unless it
// is being deleted — checked against a fresh read, as RecheckDeletionTimestamp); those it controls
// but no longer selects are released.
import type { Kernel } from '@skiff/kernel';
import { DEPLOYMENTS, REPLICA_SETS, getControllerOf, isNotFound, newControllerRef, selectorMatches, type Deployment, type ReplicaSet } from '@skiff/api';
import { nsOf } from './context.ts';

export interface ClaimSource {
  /** RSs whose controller has this uid */
  controlledBy(uid: string): ReplicaSet[];
  /** RSs of the namespace without a controller */
  orphansIn(namespace: string): ReplicaSet[];
}

/** `wrote` hears of each adoption or release written (for read-your-writes). */
export async function claimReplicaSets(kernel: Kernel, d: Deployment, src: ClaimSource, wrote: (rs: ReplicaSet) => void): Promise<ReplicaSet[]> {
  const out: ReplicaSet[] = [];
  const selector = d.spec?.selector;
  const deleting = !!d.metadata.deletionTimestamp;
  const matches = (rs: ReplicaSet) => selectorMatches(selector, rs.metadata.labels ?? {});
  for (const rs of src.controlledBy(d.metadata.uid!)) {
    if (nsOf(rs) !== nsOf(d)) continue;
    if (matches(rs)) out.push(rs);
    else if (!deleting) await release(kernel, rs, d, wrote);
  }
  if (deleting) return out;
  let canAdopt: Promise<void> | undefined;
  for (const rs of src.orphansIn(nsOf(d))) {
    if (rs.metadata.deletionTimestamp || !matches(rs)) continue;
    canAdopt ??= recheckDeletion(kernel, d);
    await canAdopt;
    const adopted = await adopt(kernel, rs, d);
    if (adopted) {
      wrote(adopted);
      out.push(adopted);
    }
  }
  return out;
}

/** The deployment, read from the store, is the same one and not being deleted. */
async function recheckDeletion(kernel: Kernel, d: Deployment): Promise<void> {
  const fresh = await kernel.get(DEPLOYMENTS, nsOf(d), d.metadata.name!);
  if (fresh.metadata.uid !== d.metadata.uid) throw new Error(`original Deployment ${nsOf(d)}/${d.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${d.metadata.uid}`);
  if (fresh.metadata.deletionTimestamp) throw new Error(`${nsOf(d)}/${d.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
}

/** Add the controller reference (conditional on the copy read: a concurrent adopter wins). */
async function adopt(kernel: Kernel, rs: ReplicaSet, d: Deployment): Promise<ReplicaSet | undefined> {
  if (getControllerOf(rs)) return undefined;
  const copy: ReplicaSet = { ...rs, metadata: { ...rs.metadata, ownerReferences: [...(rs.metadata.ownerReferences ?? []), newControllerRef(d, 'apps/v1', 'Deployment')] } };
  try {
    return (await kernel.update(REPLICA_SETS, copy)) as ReplicaSet;
  } catch (e) {
    if (isNotFound(e)) return undefined; // gone: nothing to adopt
    throw e;
  }
}

/** Remove this deployment's reference (the RS is left to whoever selects it). */
async function release(kernel: Kernel, rs: ReplicaSet, d: Deployment, wrote: (rs: ReplicaSet) => void): Promise<void> {
  const refs = (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== d.metadata.uid);
  const copy: ReplicaSet = { ...rs, metadata: { ...rs.metadata } };
  if (refs.length) copy.metadata.ownerReferences = refs;
  else delete copy.metadata.ownerReferences;
  try {
    wrote((await kernel.update(REPLICA_SETS, copy)) as ReplicaSet);
  } catch (e) {
    if (!isNotFound(e)) throw e; // a conflict: decide again from the new copy
  }
}
