// Cluster-wide aggregates over every node of the snapshot, kept up to date incrementally: a policy
// that needs "how many pods in the cluster have X" or "how many nodes have image Y" on every cycle
// should not walk every node's pods (or images) each time.
//
// A NodeTracker keeps one contribution per node, re-derived only when that node changed (its
// `generation` or pod count differ from what the contribution was taken from). Which nodes to look
// at: with a snapshot that has a change feed (`changeSeq` / `changedSince`, as the scheduler's
// cache does), just the nodes changed since the last sync — after a scheduling cycle that is the
// node the pod was assumed on plus whatever the watches changed; otherwise (any other snapshot, a
// node added or removed, the feed too old) every node of `nodes()`, which is still cheap: a lookup
// and two comparisons per node.
import type { ClusterSnapshot, NodeInfo } from '@skiff/plugin-scheduler/framework';

export interface NodeContribution<E> {
  /**
   * The node's contribution, given what it contributed before (undefined: nothing yet). Must take
   * `prev` out of the aggregate (if anything changed) and add the new one; may return `prev`
   * itself when nothing changed.
   */
  update(node: NodeInfo, prev: E | undefined): E;
  /** The node is no longer in the snapshot: take `prev` out of the aggregate. */
  remove(node: NodeInfo, prev: E): void;
}

interface Slot<E> {
  generation: number;
  pods: number;
  entry: E;
  mark: number;
}

export class NodeTracker<E> {
  private readonly slots = new Map<NodeInfo, Slot<E>>();
  private lastSnapshot: ClusterSnapshot | undefined;
  private lastArray: readonly NodeInfo[] | undefined;
  private lastLength = -1;
  private lastSeq: number | undefined;
  private lastToken: object | undefined;
  private epoch = 0;
  /** full walks over `nodes()` so far (for tests and diagnostics) */
  fullScans = 0;

  constructor(private readonly c: NodeContribution<E>) {}

  /**
   * Bring the aggregate up to date with the snapshot's nodes. With a `token` (the cycle's
   * CycleState), a second call for the same token and snapshot does nothing: a snapshot is stable
   * for the length of a cycle.
   */
  sync(snapshot: ClusterSnapshot, token?: object): void {
    const all = snapshot.nodes();
    const same = snapshot === this.lastSnapshot && all === this.lastArray && all.length === this.lastLength;
    if (same && token !== undefined && token === this.lastToken) return;
    this.lastToken = token;
    const seq = typeof snapshot.changeSeq === 'function' ? snapshot.changeSeq() : undefined;
    if (same && seq !== undefined && this.lastSeq !== undefined) {
      if (seq === this.lastSeq) return;
      const changed = typeof snapshot.changedSince === 'function' ? snapshot.changedSince(this.lastSeq) : undefined;
      if (changed) {
        for (let i = 0; i < changed.length; i++) {
          const node = changed[i];
          const slot = this.slots.get(node);
          // a node that is not in the snapshot's list (yet): only pods name it
          if (slot) this.refresh(slot, node);
        }
        this.lastSeq = seq;
        return;
      }
    }
    this.fullScan(all);
    this.lastSnapshot = snapshot;
    this.lastArray = all;
    this.lastLength = all.length;
    this.lastSeq = seq;
  }

  /** Calls fn for every node with its contribution (no particular order). */
  forEach(fn: (node: NodeInfo, entry: E) => void): void {
    for (const [node, slot] of this.slots) fn(node, slot.entry);
  }

  private refresh(slot: Slot<E>, node: NodeInfo): void {
    if (node.generation === slot.generation && node.pods.length === slot.pods) return;
    slot.entry = this.c.update(node, slot.entry);
    slot.generation = node.generation;
    slot.pods = node.pods.length;
  }

  private fullScan(all: readonly NodeInfo[]): void {
    this.fullScans++;
    const mark = ++this.epoch;
    const slots = this.slots;
    for (let i = 0; i < all.length; i++) {
      const node = all[i];
      const slot = slots.get(node);
      if (slot) {
        this.refresh(slot, node);
        slot.mark = mark;
      } else {
        slots.set(node, { generation: node.generation, pods: node.pods.length, entry: this.c.update(node, undefined), mark });
      }
    }
    if (slots.size > all.length) {
      for (const [node, slot] of slots) {
        if (slot.mark === mark) continue;
        this.c.remove(node, slot.entry);
        slots.delete(node);
      }
    }
  }
}

/**
 * A cluster-wide sum of a per-node number (nodes with some property, pods with some property),
 * kept up to date incrementally: `of(node)` runs for the nodes that changed only.
 */
export class NodeSum {
  private total = 0;
  private readonly tracker: NodeTracker<number>;

  constructor(of: (node: NodeInfo) => number) {
    this.tracker = new NodeTracker<number>({
      update: (node, prev) => {
        const v = of(node);
        this.total += v - (prev ?? 0);
        return v;
      },
      remove: (_node, prev) => {
        this.total -= prev;
      },
    });
  }

  /** The sum over the snapshot's nodes (`token`: the cycle's state; a second call in the same cycle is free). */
  value(snapshot: ClusterSnapshot, token?: object): number {
    this.tracker.sync(snapshot, token);
    return this.total;
  }
}
