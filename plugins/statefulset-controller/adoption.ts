// Which pods and revisions belong to a StatefulSet (kube's ClaimPods and adoptOrphanRevisions): those
// it controls, plus orphans its selector selects (for pods: whose name makes them its members), which
// it adopts; pods it controls that no longer fit are released. Adoption first re-reads the set from
// the store, so a set deleted and re-created under the same name never adopts for the old one.
import {
  CONTROLLER_REVISIONS, getControllerOf, isNotFound, newControllerRef, PODS, selectorMatches, STATEFUL_SETS,
  type ControllerRevision, type KObject, type Pod, type ResourceRef, type StatefulSet,
} from '@skiff/api';
import { CONTROLLER_INDEX, type IndexFunc, type Lister } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import { isMemberOf, parentAndOrdinal, STS_API_VERSION, STS_KIND } from './identity.ts';

/** Pods without a controller, by "namespace/parent" from their name (the set that may adopt them). */
export const ORPHAN_POD_INDEX = 'statefulset:orphans-by-parent';
/** ControllerRevisions without a controller, by namespace. */
export const ORPHAN_REVISION_INDEX = 'statefulset:orphans-by-namespace';

export const orphanPodIndex: IndexFunc = (o) => {
  if (getControllerOf(o)) return [];
  const { parent } = parentAndOrdinal(o.metadata.name);
  return parent ? [`${o.metadata.namespace}/${parent}`] : [];
};

export const orphanRevisionIndex: IndexFunc = (o) => (getControllerOf(o) ? [] : [o.metadata.namespace ?? '']);

/** Fails when the set in the store is not the one we hold, or is being deleted (RecheckDeletionTimestamp). */
async function canAdopt(kernel: Kernel, set: StatefulSet): Promise<void> {
  const fresh = await kernel.get(STATEFUL_SETS, set.metadata.namespace, set.metadata.name!);
  if (fresh.metadata.uid !== set.metadata.uid)
    throw new Error(`original StatefulSet ${set.metadata.namespace}/${set.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${set.metadata.uid}`);
  if (fresh.metadata.deletionTimestamp) throw new Error(`${set.metadata.namespace}/${set.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
}

export class Claimer {
  constructor(
    private readonly kernel: Kernel,
    private readonly pods: Lister<Pod>,
    private readonly revisions: Lister<ControllerRevision>,
  ) {}

  /** The pods `set` owns after adopting and releasing (getPodsForStatefulSet). */
  async claimPods(set: StatefulSet): Promise<Pod[]> {
    const uid = set.metadata.uid!;
    const selector = set.spec?.selector;
    const deleting = !!set.metadata.deletionTimestamp;
    const fits = (p: Pod) => selectorMatches(selector, p.metadata.labels ?? {}) && isMemberOf(set, p);
    const out: Pod[] = [];
    for (const p of this.pods.byIndex(CONTROLLER_INDEX, uid)) {
      if (fits(p)) out.push(p);
      else if (!deleting) await this.release(p, uid);
    }
    let checked = false;
    for (const p of this.pods.byIndex(ORPHAN_POD_INDEX, `${set.metadata.namespace}/${set.metadata.name}`)) {
      if (deleting || !fits(p) || p.metadata.deletionTimestamp) continue;
      if (!checked) {
        await canAdopt(this.kernel, set);
        checked = true;
      }
      const adopted = await this.adopt(PODS, p, set);
      if (adopted) out.push(adopted as Pod);
    }
    return out;
  }

  /** The revisions `set` owns or may adopt, orphans adopted (ListRevisions + adoptOrphanRevisions). */
  async claimRevisions(set: StatefulSet): Promise<ControllerRevision[]> {
    const mine = this.revisions.byIndex(CONTROLLER_INDEX, set.metadata.uid!);
    const orphans = this.revisions.byIndex(ORPHAN_REVISION_INDEX, set.metadata.namespace ?? '').filter((r) => selectorMatches(set.spec?.selector, r.metadata.labels ?? {}));
    if (!orphans.length) return mine;
    try {
      await canAdopt(this.kernel, set);
    } catch (e) {
      throw new Error(`can't adopt ControllerRevisions: ${e instanceof Error ? e.message : String(e)}`);
    }
    const adopted: ControllerRevision[] = [];
    for (const r of orphans) {
      const a = await this.adopt(CONTROLLER_REVISIONS, r, set);
      if (a) adopted.push(a as ControllerRevision);
    }
    return [...mine, ...adopted];
  }

  /** Add the set's controller reference (a conflict or any error but NotFound fails the sync). */
  private async adopt(ref: ResourceRef, o: KObject, set: StatefulSet): Promise<KObject | undefined> {
    const ownerReferences = [...(o.metadata.ownerReferences ?? []), newControllerRef(set, STS_API_VERSION, STS_KIND)];
    try {
      return await this.kernel.update(ref, { ...o, metadata: { ...o.metadata, ownerReferences } });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Remove the set's reference from a pod that no longer fits it. */
  private async release(p: Pod, uid: string): Promise<void> {
    const ownerReferences = (p.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    try {
      await this.kernel.update(PODS, { ...p, metadata: { ...p.metadata, ownerReferences } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
