// Which pods and revisions belong to a StatefulSet (kube's ClaimPods and adoptOrphanRevisions, on the
// client's ControllerRefManager): those it controls, plus orphans its selector selects (for pods:
// whose name makes them its members), which it adopts; pods it controls that no longer fit are
// released. Adoption first re-reads the set from the store, so a set deleted and re-created under the
// same name never adopts for the old one.
import {
  CONTROLLER_REVISIONS, getControllerOf, isNotFound, newControllerRef, PODS, selectorMatches, STATEFUL_SETS,
  type ControllerRevision, type Pod, type StatefulSet,
} from '@skiff/api';
import { CONTROLLER_INDEX, ControllerRefManager, ORPHAN_INDEX, recheckDeletionTimestamp, type IndexFunc, type Lister } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import { isMemberOf, parentAndOrdinal, STS_API_VERSION, STS_KIND } from './identity.ts';

/** Pods without a controller, by "namespace/parent" from their name (the set that may adopt them). */
export const ORPHAN_POD_INDEX = 'statefulset:orphans-by-parent';

export const orphanPodIndex: IndexFunc = (o) => {
  if (getControllerOf(o)) return [];
  const { parent } = parentAndOrdinal(o.metadata.name);
  return parent ? [`${o.metadata.namespace}/${parent}`] : [];
};

export class Claimer {
  constructor(
    private readonly kernel: Kernel,
    private readonly pods: Lister<Pod>,
    private readonly revisions: Lister<ControllerRevision>,
  ) {}

  private manager<T extends Pod | ControllerRevision>(set: StatefulSet, ref: typeof PODS, match: (o: T) => boolean, canAdopt: () => Promise<void>) {
    return new ControllerRefManager<T>({ kernel: this.kernel, ref, owner: set, controllerRef: newControllerRef(set, STS_API_VERSION, STS_KIND), match, canAdopt });
  }

  /** The pods `set` owns after adopting and releasing (getPodsForStatefulSet: ClaimPods with isMemberOf). */
  claimPods(set: StatefulSet): Promise<Pod[]> {
    const fits = (p: Pod) => selectorMatches(set.spec?.selector, p.metadata.labels ?? {}) && isMemberOf(set, p);
    const candidates = [
      ...this.pods.byIndex(CONTROLLER_INDEX, set.metadata.uid!),
      ...this.pods.byIndex(ORPHAN_POD_INDEX, `${set.metadata.namespace}/${set.metadata.name}`),
    ];
    return this.manager<Pod>(set, PODS, fits, recheckDeletionTimestamp(this.kernel, STATEFUL_SETS, set)).claim(candidates);
  }

  /** The revisions `set` owns or may adopt, orphans adopted (ListRevisions + adoptOrphanRevisions). */
  async claimRevisions(set: StatefulSet): Promise<ControllerRevision[]> {
    const mine = this.revisions.byIndex(CONTROLLER_INDEX, set.metadata.uid!);
    const selects = (r: ControllerRevision) => selectorMatches(set.spec?.selector, r.metadata.labels ?? {});
    const orphans = this.revisions.byIndex(ORPHAN_INDEX, set.metadata.namespace ?? '').filter(selects);
    if (!orphans.length) return mine;
    const canAdopt = recheckDeletionTimestamp(this.kernel, STATEFUL_SETS, set);
    try {
      await canAdopt();
    } catch (e) {
      throw new Error(`can't adopt ControllerRevisions: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const m = this.manager<ControllerRevision>(set, CONTROLLER_REVISIONS, selects, canAdopt);
    const adopted: ControllerRevision[] = [];
    for (const r of orphans) {
      try {
        adopted.push(await m.adopt(r));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return [...mine, ...adopted];
  }
}
