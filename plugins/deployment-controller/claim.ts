// Which ReplicaSets belong to a Deployment: kube's ReplicaSetControllerRefManager, which is the
// client's ControllerRefManager over the Deployment's selector, with RecheckDeletionTimestamp. Its
// adoptions and releases are told to the write tracker, so the next reconcile waits for the
// informer to show them (else it would release again, or miss an adopted RS).
import type { Kernel } from '@skiff/kernel';
import { DEPLOYMENTS, REPLICA_SETS, newControllerRef, selectorMatches, type Deployment, type ReplicaSet } from '@skiff/api';
import { ControllerRefManager, recheckDeletionTimestamp, type ControllerRefManagerOptions } from '@skiff/client';
import { nsOf } from './context.ts';

export interface ClaimSource {
  /** RSs whose controller has this uid */
  controlledBy(uid: string): ReplicaSet[];
  /** RSs of the namespace without a controller */
  orphansIn(namespace: string): ReplicaSet[];
}

class TrackedClaims extends ControllerRefManager<ReplicaSet> {
  constructor(
    o: ControllerRefManagerOptions<ReplicaSet>,
    private readonly wrote: (rs: ReplicaSet) => void,
  ) {
    super(o);
  }

  override async adopt(rs: ReplicaSet): Promise<ReplicaSet> {
    const out = await super.adopt(rs);
    this.wrote(out);
    return out;
  }

  override async release(rs: ReplicaSet): Promise<ReplicaSet | undefined> {
    const out = await super.release(rs);
    if (out) this.wrote(out);
    return out;
  }
}

/** The RSs `d` owns after adopting and releasing; `wrote` hears of each adoption or release written. */
export function claimReplicaSets(kernel: Kernel, d: Deployment, src: ClaimSource, wrote: (rs: ReplicaSet) => void): Promise<ReplicaSet[]> {
  const claims = new TrackedClaims(
    {
      kernel,
      ref: REPLICA_SETS,
      owner: d,
      controllerRef: newControllerRef(d, 'apps/v1', 'Deployment'),
      match: (rs) => selectorMatches(d.spec?.selector, rs.metadata.labels ?? {}),
      canAdopt: recheckDeletionTimestamp(kernel, DEPLOYMENTS, d),
    },
    wrote,
  );
  return claims.claim([...src.controlledBy(d.metadata.uid!), ...src.orphansIn(nsOf(d))]);
}
