import { describe, expect, it } from 'vitest';
import { slowStartBatch } from './slow-start.ts';

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4, ... up to the count, each one concurrent', async () => {
    const batches: number[] = [];
    let inFlight = 0;
    let current = 0;
    const r = await slowStartBatch(20, 1, async () => {
      if (inFlight === 0) batches.push((current = 0));
      inFlight++;
      current++;
      batches[batches.length - 1] = current;
      await new Promise((res) => setTimeout(res, 5));
      inFlight--;
    });
    expect(r).toEqual({ successes: 20 });
    expect(batches).toEqual([1, 2, 4, 8, 5]);
  });

  it('stops after the first batch with an error and counts that batch\'s successes', async () => {
    let calls = 0;
    const r = await slowStartBatch(100, 1, async () => {
      const n = ++calls;
      if (n === 5 || n === 6) throw new Error(`boom ${n}`);
    });
    // batches 1 (call 1), 2 (calls 2-3), 4 (calls 4-7: two fail): 7 calls, 5 successes
    expect(calls).toBe(7);
    expect(r.successes).toBe(5);
    expect(String(r.error)).toMatch(/boom 5/);
  });

  it('does nothing for a count of 0', async () => {
    let calls = 0;
    expect(await slowStartBatch(0, 1, async () => void calls++)).toEqual({ successes: 0 });
    expect(calls).toBe(0);
  });
});
