import { describe, expect, it } from 'vitest';
import { slowStartBatch } from './slow-start.ts';

/** Runs slowStartBatch and records the size of each concurrent batch. */
async function batchesOf(count: number, opts = {}, fail: (i: number) => boolean = () => false) {
  const batches: number[][] = [];
  let inFlight = 0;
  const r = await slowStartBatch(
    count,
    async (i) => {
      if (inFlight++ === 0) batches.push([]);
      batches[batches.length - 1].push(i);
      await new Promise((res) => setTimeout(res, 5));
      inFlight--;
      if (fail(i)) throw new Error(`boom ${i}`);
    },
    opts,
  );
  return { r, batches };
}

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4, ... up to the count, each one concurrent, every index once', async () => {
    const { r, batches } = await batchesOf(20);
    expect(r).toEqual({ successes: 20, errors: [], skipped: 0 });
    expect(batches.map((b) => b.length)).toEqual([1, 2, 4, 8, 5]);
    expect(batches.flat()).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('stops after the first batch with an error, with that batch\'s successes and every error of it', async () => {
    const { r, batches } = await batchesOf(100, {}, (i) => i === 4 || i === 5);
    // batches 1 (0), 2 (1-2), 4 (3-6: two fail): 7 calls, 5 successes, 93 never made
    expect(batches.flat()).toHaveLength(7);
    expect(r.successes).toBe(5);
    expect(r.skipped).toBe(93);
    expect(r.errors.map(String)).toEqual(['Error: boom 4', 'Error: boom 5']);
  });

  it('caps a batch at maxBatchSize and starts at initialBatchSize', async () => {
    const { batches } = await batchesOf(30, { maxBatchSize: 6 });
    expect(batches.map((b) => b.length)).toEqual([1, 2, 4, 6, 6, 6, 5]);
    const { batches: b2 } = await batchesOf(10, { initialBatchSize: 3 });
    expect(b2.map((b) => b.length)).toEqual([3, 6, 1]);
  });

  it('does nothing for a count of 0', async () => {
    const { r, batches } = await batchesOf(0);
    expect(r).toEqual({ successes: 0, errors: [], skipped: 0 });
    expect(batches).toEqual([]);
  });
});
