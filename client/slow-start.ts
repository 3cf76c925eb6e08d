// kube's slowStartBatch: call `fn` `count` times in concurrent batches of 1, 2, 4, ... and stop after
// the first batch with a failure, so a controller whose creates are refused (quota, admission, a
// namespace going away) fails after a handful of calls instead of hundreds. The StatefulSet
// controller caps a batch (MaxBatchSize); the others do not.

/** controller.SlowStartInitialBatchSize */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export interface SlowStartOptions {
  /** the first batch (default SLOW_START_INITIAL_BATCH_SIZE) */
  initialBatchSize?: number;
  /** the largest batch (default: no limit) */
  maxBatchSize?: number;
}

export interface SlowStartResult {
  /** calls that resolved */
  successes: number;
  /** the rejections of the batch that stopped the series (empty when all succeeded) */
  errors: unknown[];
  /** calls never made because a batch failed */
  skipped: number;
}

/** Calls fn(0), then fn(1..2), fn(3..6), ... (each batch at once); `i` runs from 0 to count-1. */
export async function slowStartBatch(count: number, fn: (i: number) => Promise<unknown>, opts: SlowStartOptions = {}): Promise<SlowStartResult> {
  const max = opts.maxBatchSize ?? Infinity;
  let next = 0;
  let successes = 0;
  for (let size = Math.min(count, opts.initialBatchSize ?? SLOW_START_INITIAL_BATCH_SIZE, max); size > 0; size = Math.min(2 * size, count - next, max)) {
    const first = next;
    next += size;
    const results = await Promise.allSettled(Array.from({ length: size }, (_, k) => fn(first + k)));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    successes += size - errors.length;
    if (errors.length) return { successes, errors, skipped: count - next };
  }
  return { successes, errors: [], skipped: 0 };
}
