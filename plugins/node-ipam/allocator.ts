// Which blocks of the cluster CIDR are in use, and by which nodes: a bitmap for finding the first
// free block quickly, and the holders of each used block (so a podCIDR two nodes claim stays used
// until both are gone, and a node's delete frees only what it alone held).
import { BlockSet, contains, formatCIDR, tryParseCIDR } from './cidr.ts';

/** A fixed-size bitmap. */
export class Bitmap {
  private readonly words: Uint32Array;
  private used = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`bitmap size ${size} must be a non-negative integer`);
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  /** Number of set bits. */
  get count(): number {
    return this.used;
  }

  test(i: number): boolean {
    this.check(i);
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** Set bit i; false when it was set already. */
  set(i: number): boolean {
    if (this.test(i)) return false;
    this.words[i >>> 5] |= 1 << (i & 31);
    this.used++;
    return true;
  }

  /** Clear bit i; false when it was clear already. */
  clear(i: number): boolean {
    if (!this.test(i)) return false;
    this.words[i >>> 5] &= ~(1 << (i & 31));
    this.used--;
    return true;
  }

  /** The lowest clear bit at or above `from`, or -1 when there is none. */
  firstClear(from = 0): number {
    for (let w = from >>> 5; w < this.words.length; w++) {
      let free = ~this.words[w] >>> 0;
      if (w === from >>> 5) free &= (0xffffffff << (from & 31)) >>> 0;
      if (free === 0) continue;
      const i = w * 32 + (31 - Math.clz32(free & -free));
      return i < this.size ? i : -1;
    }
    return -1;
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`bit ${i} out of range [0, ${this.size})`);
  }
}

/** What `occupy` found. */
export type OccupyResult =
  /** the node's podCIDR is recorded as used (blocks: indices it covers) */
  | { kind: 'ok'; cidr: string; blocks: number[] }
  /** not an IPv4 CIDR */
  | { kind: 'invalid'; cidr: string }
  /** (partly) outside the cluster CIDR; the part inside, if any, is recorded as used */
  | { kind: 'outside'; cidr: string; blocks: number[] }
  /** recorded as used, but other nodes hold (some of) these blocks already */
  | { kind: 'clash'; cidr: string; blocks: number[]; with: string[] };

/** The range allocator: blocks of the cluster CIDR handed to nodes, by node name. */
export class RangeAllocator {
  readonly blocks: BlockSet;
  private readonly bitmap: Bitmap;
  /** block index → names of the nodes holding it */
  private readonly holders = new Map<number, Set<string>>();
  /** node name → the block indices it holds */
  private readonly held = new Map<string, number[]>();

  constructor(clusterCIDR: string, maskSize: number) {
    this.blocks = new BlockSet(clusterCIDR, maskSize);
    this.bitmap = new Bitmap(this.blocks.count);
  }

  get size(): number {
    return this.blocks.count;
  }

  /** Number of blocks in use. */
  get used(): number {
    return this.bitmap.count;
  }

  isUsed(index: number): boolean {
    return this.bitmap.test(index);
  }

  /** The blocks `node` holds (empty when none). */
  heldBy(node: string): readonly number[] {
    return this.held.get(node) ?? [];
  }

  /** The nodes holding block `index`. */
  holdersOf(index: number): string[] {
    return [...(this.holders.get(index) ?? [])];
  }

  /**
   * Record `cidr` as `node`'s podCIDR (what it held before is released first). A CIDR outside the
   * cluster CIDR holds nothing; one that overlaps it partly holds the blocks it overlaps.
   */
  occupy(node: string, cidr: string): OccupyResult {
    const c = tryParseCIDR(cidr);
    if (!c) {
      this.release(node);
      return { kind: 'invalid', cidr };
    }
    const range = this.blocks.covering(c);
    const indices: number[] = [];
    if (range) for (let i = range.first; i <= range.last; i++) indices.push(i);
    const prev = this.held.get(node);
    if (!(prev && prev.length === indices.length && prev.every((v, k) => v === indices[k]))) {
      this.release(node);
      for (const i of indices) this.hold(node, i);
      if (indices.length) this.held.set(node, indices);
    }
    const normalized = formatCIDR(c);
    if (!contains(this.blocks.cluster, c)) return { kind: 'outside', cidr: normalized, blocks: indices };
    const others = new Set<string>();
    for (const i of indices) for (const h of this.holders.get(i) ?? []) if (h !== node) others.add(h);
    if (others.size) return { kind: 'clash', cidr: normalized, blocks: indices, with: [...others].sort() };
    return { kind: 'ok', cidr: normalized, blocks: indices };
  }

  /**
   * A block for `node`: the one it holds already when it holds exactly one, else the first free
   * one (lowest address). Undefined when the range is full.
   */
  allocate(node: string): string | undefined {
    const prev = this.held.get(node);
    if (prev && prev.length === 1 && this.holders.get(prev[0])?.size === 1) return this.blocks.blockCIDR(prev[0]);
    const i = this.bitmap.firstClear();
    if (i < 0) return undefined;
    this.release(node);
    this.hold(node, i);
    this.held.set(node, [i]);
    return this.blocks.blockCIDR(i);
  }

  /** Forget what `node` holds; blocks nobody else holds become free. */
  release(node: string): void {
    const prev = this.held.get(node);
    if (!prev) return;
    this.held.delete(node);
    for (const i of prev) {
      const hs = this.holders.get(i);
      if (!hs) continue;
      hs.delete(node);
      if (hs.size === 0) {
        this.holders.delete(i);
        this.bitmap.clear(i);
      }
    }
  }

  private hold(node: string, i: number): void {
    let hs = this.holders.get(i);
    if (!hs) this.holders.set(i, (hs = new Set()));
    hs.add(node);
    this.bitmap.set(i);
  }
}
