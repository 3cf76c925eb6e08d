// A binary heap whose items remember their position (for O(log n) removal and re-ordering).

export interface HeapItem {
  heapIndex: number;
}

export class Heap<T extends HeapItem> {
  private items: T[] = [];
  constructor(private less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    x.heapIndex = this.items.length;
    this.items.push(x);
    this.up(x.heapIndex);
  }

  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      last.heapIndex = 0;
      this.down(0);
    }
    top.heapIndex = -1;
    return top;
  }

  /** Remove `x` if it is in this heap. */
  remove(x: T): boolean {
    const i = x.heapIndex;
    const items = this.items;
    if (i < 0 || i >= items.length || items[i] !== x) return false;
    const last = items.pop()!;
    if (i < items.length) {
      items[i] = last;
      last.heapIndex = i;
      this.fix(i);
    }
    x.heapIndex = -1;
    return true;
  }

  /** `x` changed: restore the order. */
  fix(i: number): void {
    if (!this.up(i)) this.down(i);
  }

  has(x: T): boolean {
    return x.heapIndex >= 0 && this.items[x.heapIndex] === x;
  }

  /** Change the order and rebuild. */
  setLess(less: (a: T, b: T) => boolean): void {
    this.less = less;
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  values(): readonly T[] {
    return this.items;
  }

  clear(): T[] {
    const all = this.items;
    this.items = [];
    for (const x of all) x.heapIndex = -1;
    return all;
  }

  private up(i: number): boolean {
    const items = this.items;
    const x = items[i];
    const start = i;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p];
      if (!this.less(x, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = x;
    x.heapIndex = i;
    return i !== start;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const x = items[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(items[c + 1], items[c])) c++;
      if (!this.less(items[c], x)) break;
      items[i] = items[c];
      items[i].heapIndex = i;
      i = c;
    }
    items[i] = x;
    x.heapIndex = i;
  }
}
