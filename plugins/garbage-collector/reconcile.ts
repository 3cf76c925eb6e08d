// What the garbage collector does for one object (by uid), as kube-controller-manager does it:
//  - being deleted with the `orphan` finalizer: strip its ownerReference from every dependent, then
//    drop the finalizer;
//  - being deleted with `foregroundDeletion`: have its dependents deleted, and drop the finalizer
//    once no dependent with blockOwnerDeletion remains;
//  - otherwise, with owners: if every owner is absent (confirmed by a fresh read) or waiting for its
//    dependents' deletion, delete it; if some owner is still there, only remove the references to
//    the absent and waiting ones.
// Every write is conditional on the resourceVersion just read, and retried on a 409.
import type { Kernel, KindInfo, KObject, OwnerReference, ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import {
  type AbsentOwners, FOREGROUND, type Graph, type GraphNode, groupOf, hasFinalizer, isDeletingDependents, type KindKey, ORPHAN,
} from './graph.ts';

const MAX_CONFLICTS = 8;

const codeOf = (e: unknown): number | undefined => (e as { code?: number } | null)?.code;

/** solid: exists; waiting: exists, deleting in the foreground; absent: gone; invalid: can never
 * resolve (a cluster-scoped dependent naming a namespaced owner); unknown: kind not served (yet). */
export type OwnerState = 'solid' | 'waiting' | 'absent' | 'invalid' | 'unknown';

/** What processing asks for: nothing, or another try at the next resync. */
export type Outcome = 'done' | 'retry';

const refOf = (k: KindKey | KindInfo): ResourceRef => ({ group: k.group, version: k.version, resource: k.resource });
const absentKey = (ns: string | undefined, uid: string) => `${ns ?? ''}/${uid}`;

export class Collector {
  constructor(
    private readonly kernel: Kernel,
    private readonly graph: Graph,
    private readonly absent: AbsentOwners,
    /** have another uid processed */
    private readonly enqueue: (uid: string) => void,
    private readonly logger: Logger,
  ) {}

  /** Note that an owner is gone (a DELETED event, or missing from a consistent list). */
  observedGone(node: GraphNode): void {
    this.absent.add(absentKey(node.namespace, node.uid));
  }

  async process(uid: string): Promise<Outcome> {
    const node = this.graph.get(uid);
    if (!node) return 'done';
    if (node.deleting) {
      if (hasFinalizer(node, ORPHAN)) await this.orphanDependents(node);
      if (hasFinalizer(node, FOREGROUND)) await this.deleteDependentsFirst(node);
      return 'done';
    }
    if (node.owners.length > 0) return this.attemptToDelete(node);
    return 'done';
  }

  // --- Orphan -------------------------------------------------------------------------------

  private async orphanDependents(owner: GraphNode): Promise<void> {
    const deps = this.graph.dependents(owner.uid);
    for (const dep of deps) await this.removeOwnerRefs(dep, new Set([owner.uid]));
    if (await this.removeFinalizer(owner, ORPHAN)) {
      this.logger.info('orphaned dependents', { ...this.describe(owner), dependents: deps.length });
    }
  }

  // --- Foreground ---------------------------------------------------------------------------

  private async deleteDependentsFirst(owner: GraphNode): Promise<void> {
    let blocking = 0;
    for (const dep of this.graph.dependents(owner.uid)) {
      if (dep.owners.some((r) => r.uid === owner.uid && r.blockOwnerDeletion === true)) blocking++;
      if (!dep.deleting) this.enqueue(dep.uid); // attemptToDelete sees this owner as waiting
    }
    if (blocking > 0) return; // the dependents' DELETED events bring the owner back here
    if (await this.removeFinalizer(owner, FOREGROUND)) {
      this.logger.info('dependents gone; finishing foreground deletion', this.describe(owner));
    }
  }

  // --- Dependents whose owners are gone or going ----------------------------------------------

  private async attemptToDelete(dep: GraphNode): Promise<Outcome> {
    const states = new Map<string, OwnerState>();
    const classify = async (refs: readonly OwnerReference[]) => {
      for (const r of refs) if (!states.has(r.uid)) states.set(r.uid, await this.ownerState(dep, r));
    };
    await classify(dep.owners);
    if ([...states.values()].every((s) => s === 'solid' || s === 'invalid')) return 'done';

    // act on the dependent as it is now, not as the graph last saw it
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const cur = await this.fresh(dep);
      if (!cur || cur.metadata.deletionTimestamp) return 'done';
      const refs = cur.metadata.ownerReferences ?? [];
      if (refs.length === 0) return 'done';
      await classify(refs);
      const by = (...s: OwnerState[]) => refs.filter((r) => s.includes(states.get(r.uid)!));
      const remaining = by('solid', 'invalid', 'unknown');
      if (remaining.length > 0) {
        const drop = by('absent', 'waiting');
        if (drop.length > 0) await this.removeOwnerRefs(dep, new Set(drop.map((r) => r.uid)));
        if (by('unknown').length > 0 && by('solid', 'invalid').length === 0) {
          this.logger.debug('owner kind not served; will retry', { ...this.describe(dep), owners: by('unknown').map((r) => `${r.apiVersion}/${r.kind}`) });
          return 'retry';
        }
        return 'done';
      }
      // every owner is absent or waiting for its dependents: delete. In the foreground when an
      // owner waits on us and we have dependents of our own, so that blocking carries down.
      const policy = by('waiting').length > 0 && this.graph.dependents(dep.uid).length > 0 ? 'Foreground' : 'Background';
      try {
        await this.kernel.delete(refOf(dep.kind), dep.namespace, dep.name, {
          propagationPolicy: policy,
          preconditions: { uid: dep.uid, resourceVersion: cur.metadata.resourceVersion },
        });
        this.logger.info('deleted dependent', { ...this.describe(dep), propagationPolicy: policy, owners: refs.map((r) => r.uid) });
        return 'done';
      } catch (e) {
        if (codeOf(e) === 404) return 'done';
        if (codeOf(e) !== 409) throw e;
      }
    }
    throw new Error(`too many conflicts deleting ${this.name(dep)}`);
  }

  /** Is the owner a reference names there? Graph first; a fresh read before calling it absent. */
  private async ownerState(dep: GraphNode, ref: OwnerReference): Promise<OwnerState> {
    const info = this.resolve(ref);
    if (!info) return 'unknown';
    if (info.namespaced && !dep.namespace) return 'invalid';
    const ns = info.namespaced ? dep.namespace : undefined;
    const n = this.graph.get(ref.uid);
    if (n && n.name === ref.name && n.namespace === ns && n.kind.group === info.group && n.kind.kind === info.kind) {
      return isDeletingDependents(n) ? 'waiting' : 'solid';
    }
    if (this.absent.has(absentKey(ns, ref.uid))) return 'absent';
    let owner: KObject;
    try {
      owner = await this.kernel.get(refOf(info), ns, ref.name);
    } catch (e) {
      if (codeOf(e) !== 404) throw e;
      this.absent.add(absentKey(ns, ref.uid));
      return 'absent';
    }
    if (owner.metadata.uid !== ref.uid) {
      this.absent.add(absentKey(ns, ref.uid)); // same name, another object
      return 'absent';
    }
    return owner.metadata.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FOREGROUND) ? 'waiting' : 'solid';
  }

  /** apiVersion + kind → a served kind (the same version if served, else another of the group). */
  private resolve(ref: OwnerReference): KindInfo | undefined {
    const group = groupOf(ref.apiVersion);
    const version = ref.apiVersion.slice(ref.apiVersion.indexOf('/') + 1);
    const candidates = this.kernel.kinds().filter((k) => k.group === group && k.kind === ref.kind);
    return candidates.find((k) => k.version === version) ?? candidates[0];
  }

  // --- Writes ---------------------------------------------------------------------------------

  /** The object as stored now, if it is still the one the node describes. */
  private async fresh(node: GraphNode): Promise<KObject | undefined> {
    try {
      const o = await this.kernel.get(refOf(node.kind), node.namespace, node.name);
      return o.metadata.uid === node.uid ? o : undefined;
    } catch (e) {
      if (codeOf(e) === 404) return undefined;
      throw e;
    }
  }

  /** Read-modify-write of metadata, conditional on resourceVersion; false if nothing to do. */
  private async patchMeta(node: GraphNode, change: (cur: KObject) => Record<string, unknown> | undefined): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const cur = await this.fresh(node);
      if (!cur) return false;
      const meta = change(cur);
      if (!meta) return false;
      try {
        await this.kernel.patch(refOf(node.kind), node.namespace, node.name, 'merge', {
          metadata: { ...meta, resourceVersion: cur.metadata.resourceVersion },
        });
        return true;
      } catch (e) {
        if (codeOf(e) === 404) return false;
        if (codeOf(e) !== 409) throw e;
      }
    }
    throw new Error(`too many conflicts updating ${this.name(node)}`);
  }

  private removeOwnerRefs(dep: GraphNode, uids: Set<string>): Promise<boolean> {
    return this.patchMeta(dep, (cur) => {
      const refs = cur.metadata.ownerReferences ?? [];
      const kept = refs.filter((r) => !uids.has(r.uid));
      if (kept.length === refs.length) return undefined;
      return { ownerReferences: kept.length > 0 ? kept : null };
    });
  }

  private removeFinalizer(node: GraphNode, finalizer: string): Promise<boolean> {
    return this.patchMeta(node, (cur) => {
      const fins = cur.metadata.finalizers ?? [];
      if (!fins.includes(finalizer)) return undefined;
      const kept = fins.filter((f) => f !== finalizer);
      return { finalizers: kept.length > 0 ? kept : null };
    });
  }

  private name(n: GraphNode): string {
    return `${n.kind.resource}/${n.namespace ? n.namespace + '/' : ''}${n.name}`;
  }

  private describe(n: GraphNode): Record<string, string> {
    return { kind: n.kind.kind, ...(n.namespace ? { namespace: n.namespace } : {}), name: n.name, uid: n.uid };
  }
}
