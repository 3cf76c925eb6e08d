// kube's slowStartBatch: call `fn` `count` times in batches of 1, 2, 4, ... (each batch concurrent),
// stopping after the first batch with an error, so a controller that cannot create pods (quota,
// admission) fails after a handful of calls instead of hundreds.

/** Returns how many calls succeeded and the first error of the batch that stopped the series. */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let size = Math.min(remaining, initialBatchSize); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += size - failed.length;
    if (failed.length) return { successes, error: failed[0].reason };
    remaining -= size;
  }
  return { successes };
}
