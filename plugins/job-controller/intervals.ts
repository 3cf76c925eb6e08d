// Sets of completion indexes as ordered, merged intervals, written the way kube writes
// status.completedIndexes and status.failedIndexes: "1,3-5" (two neighbours are "1,2", not "1-2").

export interface Interval {
  first: number;
  last: number;
}

export type Intervals = Interval[];

/** Parse "1,3-5" (indexes at or past `completions` are dropped; corrupt parts are skipped). */
export function parseIntervals(s: string | undefined, completions: number): Intervals {
  const out: Intervals = [];
  if (!s) return out;
  for (const part of s.split(',')) {
    const bounds = part.split('-');
    if (!/^\d+$/.test(bounds[0])) continue;
    const first = Number(bounds[0]);
    if (first >= completions) break;
    let last = first;
    if (bounds.length > 1) {
      if (!/^\d+$/.test(bounds[1])) continue;
      last = Math.min(Number(bounds[1]), completions - 1);
    }
    const prev = out[out.length - 1];
    if (prev && prev.last === first - 1) prev.last = last;
    else out.push({ first, last });
  }
  return out;
}

/** The union of two ordered interval lists. */
export function mergeIntervals(a: Intervals, b: Intervals): Intervals {
  const out: Intervals = [];
  const push = (iv: Interval) => {
    const prev = out[out.length - 1];
    if (!prev || iv.first > prev.last + 1) out.push({ ...iv });
    else if (prev.last < iv.last) prev.last = iv.last;
  };
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) push(a[i].first < b[j].first ? a[i++] : b[j++]);
  while (i < a.length) push(a[i++]);
  while (j < b.length) push(b[j++]);
  return out;
}

/** `iv` plus the indexes (given in increasing order). */
export const withIndexes = (iv: Intervals, sorted: number[]): Intervals => mergeIntervals(iv, sorted.map((x) => ({ first: x, last: x })));

export const totalIndexes = (iv: Intervals): number => iv.reduce((n, x) => n + x.last - x.first + 1, 0);

export function hasIndex(iv: Intervals, ix: number): boolean {
  let lo = 0;
  let hi = iv.length;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    if (iv[mid].last >= ix) hi = mid;
    else lo = mid + 1;
  }
  return hi < iv.length && iv[hi].first <= ix;
}

export function formatIntervals(iv: Intervals): string {
  const parts: string[] = [];
  for (const { first, last } of iv) {
    if (last === first) parts.push(String(first));
    else if (last === first + 1) parts.push(`${first},${last}`);
    else parts.push(`${first}-${last}`);
  }
  return parts.join(',');
}
