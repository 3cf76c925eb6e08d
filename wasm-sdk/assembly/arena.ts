// Memory that crosses the boundary during one call: the parameters the host lowers into guest memory
// (through cabi_realloc) and the results the guest hands back. Both are bump-allocated here and
// released together once the call is over (post-return, or the end of a call without results): no
// per-string bookkeeping, no garbage for the GC, and the same memory is reused by every call.

const INITIAL_CAPACITY: usize = 64 * 1024;

/** the main chunk (16-byte aligned, from the TLSF heap) */
let chunk: usize = 0;
let capacity: usize = 0;
/** bytes used in the main chunk */
let top: usize = 0;
/** the latest allocation of the main chunk, which may grow in place */
let latest: usize = 0;
/** blocks of their own for allocations that did not fit the main chunk in this call */
const spill = new Array<usize>();
let spilled: usize = 0;

export function arenaAlloc(size: usize, align: usize): usize {
  if (chunk == 0) {
    chunk = heap.alloc(INITIAL_CAPACITY);
    capacity = INITIAL_CAPACITY;
  }
  const start = (top + align - 1) & ~(align - 1);
  if (start + size <= capacity) {
    top = start + size;
    latest = chunk + start;
    return latest;
  }
  // heap blocks are 16-byte aligned, enough for any canonical ABI alignment (at most 8)
  const block = heap.alloc(size > 0 ? size : 1);
  spill.push(block);
  spilled += size + align;
  return block;
}

/** cabi_realloc semantics, on the arena. */
export function arenaRealloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (old == 0) return arenaAlloc(newSize, align);
  if (old == latest && old - chunk + newSize <= capacity) {
    top = old - chunk + newSize;
    return old;
  }
  const moved = arenaAlloc(newSize, align);
  memory.copy(moved, old, oldSize < newSize ? oldSize : newSize);
  return moved;
}

/** calls since the last collection */
let calls: u32 = 0;
const COLLECT_EVERY: u32 = 1024;

/**
 * Ends a call: frees the call's arena and runs the garbage collector when the call made the memory
 * grow (the allocator doubles it when full, so the garbage never takes more than what the memory
 * already holds), or every COLLECT_EVERY calls. The SDK builds with AssemblyScript's `minimal`
 * runtime (no shadow stack, no write barriers: about twice as fast as `incremental` on the
 * filter/score loops) whose collector runs only when asked; a call's end is the one moment no
 * object is held only by a local, so it is asked here. Not more often: a collection marks the
 * whole node table (2-3 ms for 5,000 nodes), and every 256 calls it cost the scheduler ~30 µs a pod.
 * `countCall` false: the node table updates, which make little garbage, do not count.
 */
export function arenaReset(countCall: bool = true): void {
  arenaFree();
  if (countCall) calls++;
  if (calls >= COLLECT_EVERY || <usize>memory.size() > pagesAtCollect) {
    calls = 0;
    __collect();
    pagesAtCollect = <usize>memory.size();
  }
}

/** the memory's size (pages) after the last collection */
let pagesAtCollect: usize = 0;

/** Releases everything of the call. A call that spilled grows the main chunk so the next one fits. */
function arenaFree(): void {
  if (spilled > 0) {
    for (let i = 0, n = spill.length; i < n; i++) heap.free(unchecked(spill[i]));
    spill.length = 0;
    heap.free(chunk);
    capacity = (capacity + spilled + 0xffff) & ~0xffff;
    chunk = heap.alloc(capacity);
    spilled = 0;
  }
  top = 0;
  latest = 0;
}

/** The canonical ABI's allocator export: the host lowers every parameter through it. */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  return arenaRealloc(old, oldSize, align, newSize);
}
