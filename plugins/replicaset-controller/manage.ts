// manageReplicas: create or delete pods so the owner has spec.replicas of them, at most
// burstReplicas per sync. Creates go in slow-start batches with expectations raised first (the
// informer lags the creates; until it has seen them, the owner is not synced again); deletes take
// the least useful pods first (ranking.ts), each expected by key.
import { isNotFound, type OwnerReference, type Pod } from '@skiff/api';
import { isNamespaceTerminating, podsPrefix, slowStartBatch, type Expectations, type PodControl } from '@skiff/client';
import type { ReplicaOwner } from './kinds.ts';
import { podsToDelete } from './ranking.ts';

export interface ManageContext {
  key: string;
  owner: ReplicaOwner;
  controllerRef: OwnerReference;
  expectations: Expectations;
  podControl: PodControl;
  burstReplicas: number;
  /** pods of the owner's siblings (same controller), for ranking by co-location */
  relatedPods(): Pod[];
}

/** Returns the error that stopped creating or deleting, if any (the status reports it). */
export async function manageReplicas(m: ManageContext, pods: readonly Pod[]): Promise<unknown> {
  const { key, owner, expectations } = m;
  const want = owner.spec?.replicas ?? 1;
  const diff = pods.length - want;
  if (diff < 0) {
    const n = Math.min(-diff, m.burstReplicas);
    const template = owner.spec?.template ?? {};
    const prefix = podsPrefix(owner.metadata.name!);
    // expected before any create, so events arriving during the batch are counted
    expectations.expectCreations(key, n);
    let ignored = 0;
    const { successes, errors } = await slowStartBatch(n, async () => {
      try {
        await m.podControl.createPod(owner, template, m.controllerRef, prefix);
      } catch (e) {
        // a terminating namespace refuses every create: not an error of this controller
        if (!isNamespaceTerminating(e)) throw e;
        ignored++;
      }
    });
    // creates that failed or were never tried will not be observed
    const unobserved = n - successes + ignored;
    if (unobserved > 0) expectations.lowerCreations(key, unobserved);
    return errors[0]; // kube reports the first
  }
  if (diff > 0) {
    const n = Math.min(diff, m.burstReplicas);
    const victims = podsToDelete(pods, n < pods.length ? m.relatedPods() : [], n);
    const keys = victims.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    expectations.expectDeletions(key, keys);
    let first: unknown;
    await Promise.all(
      victims.map(async (p, i) => {
        try {
          await m.podControl.deletePod(owner, p.metadata.namespace!, p.metadata.name!);
        } catch (e) {
          // this deletion will not be observed
          expectations.deletionObserved(key, keys[i]);
          if (!isNotFound(e)) first ??= e;
        }
      }),
    );
    return first;
  }
  return undefined;
}
