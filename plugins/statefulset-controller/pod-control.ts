// Pod and claim writes of a StatefulSet, as kube's StatefulPodControl: claims before their pod, the
// identity and storage of existing pods, the claims' owner references for the retention policy, and
// the Events kube records for each ("create Pod web-0 in StatefulSet web successful", ...).
import { isAlreadyExists, isConflict, isNotFound, PODS, PVCS, type PersistentVolumeClaim, type Pod, type StatefulSet } from '@skiff/api';
import { objectKey, type EventRecorder, type Expectations, type Lister } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import { claimOwnerRefs, hasStaleOwnerRef, hasUnexpectedController, isClaimOwnerUpToDate, retentionPolicy } from './retention.ts';
import { claimName, claimsFor, identityMatches, ordinalOf, storageMatches, updateIdentity, updateStorage } from './identity.ts';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const title = (verb: string) => verb[0].toUpperCase() + verb.slice(1);

/** utilerrors.NewAggregate: one error as itself, more as "[a, b]". */
function aggregate(errs: string[]): Error | undefined {
  if (!errs.length) return undefined;
  return new Error(errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
}

export class StatefulPodControl {
  constructor(
    private readonly kernel: Kernel,
    private readonly recorder: EventRecorder,
    private readonly pods: Lister<Pod>,
    private readonly claims: Lister<PersistentVolumeClaim>,
    /** the creates and deletes of each set its pod informer has not shown yet, by pod key */
    private readonly expectations: Expectations,
  ) {}

  /** Create the pod's claims, then the pod, then set the claims' owners as far as possible. */
  async createStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.createClaims(set, pod);
    } catch (e) {
      this.podEvent('create', set, pod, e);
      throw e;
    }
    const key = objectKey(pod);
    const setKey = objectKey(set);
    this.expectations.raise(setKey, { creating: [key] });
    let created: Pod;
    try {
      created = (await this.kernel.create(PODS, pod)) as Pod;
    } catch (e) {
      this.expectations.creationObserved(setKey, key); // it will not be seen
      // an existing pod is not a failure to report: the informer has not shown it yet
      if (!isAlreadyExists(e)) this.podEvent('create', set, pod, e);
      throw e;
    }
    try {
      await this.updateClaimsForRetention(set, created);
    } catch (e) {
      this.podEvent('update', set, pod, e);
      throw e;
    }
    this.podEvent('create', set, pod);
  }

  /** Delete the pod (this incarnation of it: the uid is a precondition). */
  async deleteStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    const key = objectKey(pod);
    const setKey = objectKey(set);
    this.expectations.raise(setKey, { deleting: [key] });
    try {
      await this.kernel.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      this.expectations.deletionObserved(setKey, key); // it will not be seen
      this.podEvent('delete', set, pod, e);
      throw e;
    }
    this.podEvent('delete', set, pod);
  }

  /** Bring an existing pod's identity, storage and claim owners in line with `set` (retrying conflicts). */
  async updateStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    let cur = structuredClone(pod);
    let attempted = false;
    let err: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      let consistent = true;
      if (!identityMatches(set, cur)) {
        updateIdentity(set, cur);
        consistent = false;
      }
      try {
        if (!storageMatches(set, cur)) {
          updateStorage(set, cur);
          consistent = false;
          await this.createClaims(set, cur);
        }
        if (!this.claimsMatchRetentionPolicy(set, cur)) {
          await this.updateClaimsForRetention(set, cur);
          consistent = false;
        }
      } catch (e) {
        this.podEvent('update', set, cur, e);
        throw e;
      }
      if (consistent) return;
      attempted = true;
      try {
        await this.kernel.update(PODS, cur);
        err = undefined;
        break;
      } catch (e) {
        err = e;
        if (!isConflict(e)) break;
        const fresh = this.pods.get(cur.metadata.namespace, cur.metadata.name!);
        cur = structuredClone(fresh && fresh.metadata.resourceVersion !== cur.metadata.resourceVersion ? fresh : ((await this.kernel.get(PODS, cur.metadata.namespace, cur.metadata.name!)) as Pod));
      }
    }
    if (attempted) this.podEvent('update', set, cur, err);
    if (err) throw err;
  }

  /** Do the pod's existing claims carry the owner references the policy asks for? */
  claimsMatchRetentionPolicy(set: StatefulSet, pod: Pod): boolean {
    const ordinal = ordinalOf(pod);
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const claim = this.claims.get(set.metadata.namespace, claimName(set, t.metadata?.name ?? '', ordinal));
      if (claim && !isClaimOwnerUpToDate(claim, set, pod)) return false;
    }
    return true;
  }

  /** Set the owner references of the pod's existing claims for the retention policy. */
  async updateClaimsForRetention(set: StatefulSet, pod: Pod): Promise<void> {
    const ordinal = ordinalOf(pod);
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const name = claimName(set, t.metadata?.name ?? '', ordinal);
      const claim = this.claims.get(set.metadata.namespace, name);
      if (!claim) continue; // picked up in a later sync
      if (hasUnexpectedController(claim, set, pod)) {
        this.recorder.record(set, {
          type: 'Warning',
          reason: 'ConflictingController',
          message: `PersistentVolumeClaim ${name} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim`,
        });
      }
      if (isClaimOwnerUpToDate(claim, set, pod)) continue;
      const ownerReferences = claimOwnerRefs(claim, set, pod);
      try {
        await this.kernel.update(PVCS, { ...claim, metadata: { ...claim.metadata, ownerReferences } });
      } catch (e) {
        throw new Error(`could not update claim ${name} for delete policy ownerRefs: ${message(e)}`);
      }
    }
  }

  /** With whenScaled=Delete, a claim still owned by an earlier pod of this name blocks the pod (the collector deletes it first). */
  podClaimIsStale(set: StatefulSet, pod: Pod): boolean {
    if (retentionPolicy(set).whenScaled === 'Retain') return false;
    for (const { claim } of claimsFor(set, ordinalOf(pod))) {
      const pvc = this.claims.get(claim.metadata.namespace, claim.metadata.name!);
      if (pvc && hasStaleOwnerRef(pvc, pod)) return true;
    }
    return false;
  }

  /** For a pending pod: create claims that went missing, and set their owners. */
  async createMissingClaims(set: StatefulSet, pod: Pod): Promise<void> {
    await this.createClaims(set, pod);
    try {
      await this.updateClaimsForRetention(set, pod);
    } catch (e) {
      this.podEvent('update', set, pod, e);
      throw e;
    }
  }

  /**
   * Create the claims of the pod that do not exist (createPersistentVolumeClaims). A new claim gets
   * the set's owner reference at once when the policy gives it one.
   */
  async createClaims(set: StatefulSet, pod: Pod): Promise<void> {
    const errs: string[] = [];
    for (const { claim } of claimsFor(set, ordinalOf(pod))) {
      const name = claim.metadata.name!;
      const existing = this.claims.get(claim.metadata.namespace, name);
      if (existing) {
        if (existing.metadata.deletionTimestamp) errs.push(`pvc ${name} is being deleted`);
        continue;
      }
      const refs = claimOwnerRefs(claim, set, pod);
      if (refs.length) claim.metadata.ownerReferences = refs;
      try {
        await this.kernel.create(PVCS, claim);
        this.claimEvent(set, pod, name);
      } catch (e) {
        if (!isAlreadyExists(e)) {
          errs.push(`failed to create PVC ${name}: ${message(e)}`);
          this.claimEvent(set, pod, name, e);
          continue;
        }
        // made in an earlier sync the informer has not shown yet, or by someone else
        const found = (await this.kernel.get(PVCS, claim.metadata.namespace, name).catch((g) => (isNotFound(g) ? undefined : Promise.reject(g)))) as PersistentVolumeClaim | undefined;
        if (found?.metadata.deletionTimestamp) errs.push(`pvc ${name} is being deleted`);
      }
    }
    const e = aggregate(errs);
    if (e) throw e;
  }

  private podEvent(verb: string, set: StatefulSet, pod: Pod, err?: unknown): void {
    if (err === undefined) {
      this.recorder.record(set, { type: 'Normal', reason: `Successful${title(verb)}`, message: `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful` });
    } else {
      this.recorder.record(set, { type: 'Warning', reason: `Failed${title(verb)}`, message: `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${message(err)}` });
    }
  }

  private claimEvent(set: StatefulSet, pod: Pod, claim: string, err?: unknown): void {
    if (err === undefined) {
      this.recorder.record(set, { type: 'Normal', reason: 'SuccessfulCreate', message: `create Claim ${claim} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success` });
    } else {
      this.recorder.record(set, { type: 'Warning', reason: 'FailedCreate', message: `create Claim ${claim} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${message(err)}` });
    }
  }
}
