// The garbage collector's in-memory picture of the cluster: one node per observed object (by uid),
// and for every owner uid the set of observed objects whose ownerReferences name it. An owner uid
// may have dependents without being observed itself (not seen yet, deleted, or never existed).
import type { KindInfo, KObject, OwnerReference, ResourceRef } from '@skiff/kernel';

export const ORPHAN = 'orphan';
export const FOREGROUND = 'foregroundDeletion';

/** Where an object lives: its kind's group/version/resource plus identity fields. */
export interface KindKey extends ResourceRef {
  kind: string;
  namespaced: boolean;
}

export interface GraphNode {
  uid: string;
  kind: KindKey;
  namespace?: string;
  name: string;
  owners: readonly OwnerReference[];
  /** metadata.deletionTimestamp is set */
  deleting: boolean;
  finalizers: readonly string[];
}

export const kindKeyOf = (k: KindInfo): KindKey => ({
  group: k.group,
  version: k.version,
  resource: k.resource,
  kind: k.kind,
  namespaced: k.namespaced,
});

/** One key per stored collection (versions of a resource share objects). */
export const resourceKey = (k: { group: string; resource: string }): string => `${k.group}/${k.resource}`;

/** The owner's group from an ownerReference's apiVersion ("apps/v1" → "apps", "v1" → ""). */
export const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

const NONE: never[] = [];
const validRef = (r: OwnerReference | undefined) => !!r && typeof r.uid === 'string';

/** Do two nodes name the same owners (uid, controller, blockOwnerDeletion)? */
export function sameOwners(a: readonly OwnerReference[], b: readonly OwnerReference[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((r, i) => r.uid === b[i].uid && r.name === b[i].name && r.kind === b[i].kind && r.apiVersion === b[i].apiVersion && !!r.controller === !!b[i].controller && !!r.blockOwnerDeletion === !!b[i].blockOwnerDeletion);
}

export const hasFinalizer = (n: { finalizers: readonly string[] }, f: string): boolean => n.finalizers.includes(f);

/** A node is "waiting for dependents deletion" when it is being deleted in the foreground. */
export const isDeletingDependents = (n: GraphNode): boolean => n.deleting && hasFinalizer(n, FOREGROUND);

export class Graph {
  private readonly nodes = new Map<string, GraphNode>();
  /** owner uid → uids of observed dependents */
  private readonly dependentsOf = new Map<string, Set<string>>();

  get size(): number {
    return this.nodes.size;
  }

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** Observed objects whose ownerReferences name `ownerUid`. */
  dependents(ownerUid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const uid of this.dependentsOf.get(ownerUid) ?? []) {
      const n = this.nodes.get(uid);
      if (n) out.push(n);
    }
    return out;
  }

  /** Every observed node (for a resync). */
  all(): IterableIterator<GraphNode> {
    return this.nodes.values();
  }

  /**
   * Record an object's current state; returns the previous node, if any. The node shares the
   * object's ownerReferences and finalizers (informer objects are never changed in place).
   */
  upsert(kind: KindKey, obj: KObject): { node: GraphNode; previous?: GraphNode } | undefined {
    const m = obj.metadata;
    if (!m.uid || !m.name) return undefined;
    const previous = this.nodes.get(m.uid);
    const refs = m.ownerReferences ?? NONE;
    const node: GraphNode = {
      uid: m.uid,
      kind,
      namespace: kind.namespaced ? m.namespace : undefined,
      name: m.name,
      owners: refs.every(validRef) ? refs : refs.filter(validRef),
      deleting: !!m.deletionTimestamp,
      finalizers: m.finalizers ?? NONE,
    };
    this.nodes.set(node.uid, node);
    if (previous) this.unindex(previous);
    this.index(node);
    return { node, previous };
  }

  /** Forget an object; returns what was known about it. */
  remove(uid: string): GraphNode | undefined {
    const n = this.nodes.get(uid);
    if (!n) return undefined;
    this.nodes.delete(uid);
    this.unindex(n);
    return n;
  }

  private index(n: GraphNode): void {
    for (const r of n.owners) {
      let s = this.dependentsOf.get(r.uid);
      if (!s) this.dependentsOf.set(r.uid, (s = new Set()));
      s.add(n.uid);
    }
  }

  private unindex(n: GraphNode): void {
    for (const r of n.owners) {
      const s = this.dependentsOf.get(r.uid);
      if (!s) continue;
      s.delete(n.uid);
      if (s.size === 0) this.dependentsOf.delete(r.uid);
    }
  }
}

/** A bounded set of uids known to be gone (uids are never reused, so this never goes stale). */
export class AbsentOwners {
  private readonly uids = new Set<string>();
  constructor(private readonly max = 10_000) {}

  has(uid: string): boolean {
    return this.uids.has(uid);
  }

  add(uid: string): void {
    this.uids.delete(uid);
    this.uids.add(uid);
    if (this.uids.size > this.max) this.uids.delete(this.uids.values().next().value!);
  }
}
