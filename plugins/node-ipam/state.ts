// Which blocks the Nodes hold, as the IPAM controller knows it: a RangeAllocator kept from the node
// informer's events, and rebuilt from a fresh list of the Nodes when this process starts leading
// (the informer of a follower may lag what the old leader wrote). Node states older than that list
// (resourceVersion at or below it) are ignored afterwards, and events that arrive while the list is
// read are applied after it, so a lagging informer can neither free a block a node holds nor hide
// one; a delete counts only for the node incarnation (uid) the state knows.
import type { KObject } from '@skiff/kernel';
import { RangeAllocator, type OccupyResult } from './allocator.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The node's podCIDR: spec.podCIDR, else the first of spec.podCIDRs, else undefined. */
export function podCIDROf(node: KObject): string | undefined {
  const spec = isObj(node.spec) ? node.spec : {};
  if (typeof spec.podCIDR === 'string' && spec.podCIDR) return spec.podCIDR;
  const list = Array.isArray(spec.podCIDRs) ? spec.podCIDRs : [];
  return typeof list[0] === 'string' && list[0] ? list[0] : undefined;
}

const revision = (o: KObject) => Number(o.metadata.resourceVersion ?? 0) || 0;

export interface StateListener {
  /** a node's podCIDR was recorded (a result other than ok is a problem to report) */
  occupied(node: KObject, r: OccupyResult): void;
  /** a deleted node's blocks are free again */
  released(node: KObject): void;
}

export class IpamState {
  allocator: RangeAllocator;
  /** node name → uid of the incarnation recorded */
  private readonly uids = new Map<string, string | undefined>();
  /** the resourceVersion of the last rebuild's list: older node states say nothing new */
  private floor = 0;
  /** events that arrived while a rebuild reads the list */
  private buffer?: { deleted: boolean; node: KObject }[];

  constructor(
    private readonly clusterCIDR: string,
    private readonly maskSize: number,
    private readonly listener: StateListener,
  ) {
    this.allocator = new RangeAllocator(clusterCIDR, maskSize);
  }

  /** A node as the informer shows it now (added or updated). */
  set(node: KObject): void {
    if (this.buffer) this.buffer.push({ deleted: false, node });
    else this.applySet(node);
  }

  /** A node the informer saw deleted. */
  delete(node: KObject): void {
    if (this.buffer) this.buffer.push({ deleted: true, node });
    else this.applyDelete(node);
  }

  /** A rebuild starts: events wait until its list is in. */
  beginRebuild(): void {
    this.buffer ??= [];
  }

  /** The fresh list (and its resourceVersion): a new allocator from it, then the events that waited. */
  finishRebuild(items: readonly KObject[], listRevision: number): void {
    const waiting = this.buffer ?? [];
    this.buffer = undefined;
    this.allocator = new RangeAllocator(this.clusterCIDR, this.maskSize);
    this.uids.clear();
    this.floor = listRevision;
    // every podCIDR in use first
    for (const n of items) {
      this.uids.set(n.metadata.name!, n.metadata.uid);
      const cidr = podCIDROf(n);
      if (cidr) this.listener.occupied(n, this.allocator.occupy(n.metadata.name!, cidr));
    }
    for (const e of waiting) (e.deleted ? this.applyDelete(e.node) : this.applySet(e.node));
  }

  /** The list could not be read: the events that waited go to the allocator as it is. */
  abortRebuild(): void {
    const waiting = this.buffer ?? [];
    this.buffer = undefined;
    for (const e of waiting) (e.deleted ? this.applyDelete(e.node) : this.applySet(e.node));
  }

  /** Nodes recorded. */
  get nodes(): number {
    return this.uids.size;
  }

  private applySet(node: KObject): void {
    if (revision(node) <= this.floor) return; // the list showed this node as it is or newer
    const name = node.metadata.name!;
    this.uids.set(name, node.metadata.uid);
    const cidr = podCIDROf(node);
    // without a podCIDR, what the node holds (an allocation being written) stays
    if (cidr) this.listener.occupied(node, this.allocator.occupy(name, cidr));
  }

  private applyDelete(node: KObject): void {
    const name = node.metadata.name!;
    const known = this.uids.get(name);
    if (known && node.metadata.uid && known !== node.metadata.uid) return; // an older incarnation
    this.uids.delete(name);
    const had = this.allocator.heldBy(name).length > 0;
    this.allocator.release(name);
    if (had) this.listener.released(node);
  }
}
