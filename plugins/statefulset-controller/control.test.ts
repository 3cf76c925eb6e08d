import { describe, expect, it } from 'vitest';
import { slowStartBatch } from './control.ts';

describe('slowStartBatch', () => {
  it('runs in batches of 1, 2, 4, ... concurrently within a batch', async () => {
    const batches: number[][] = [];
    let running = 0;
    let current: number[] = [];
    const done = await slowStartBatch(10, async (i) => {
      if (running === 0) batches.push((current = []));
      running++;
      current.push(i);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    expect(done).toBe(10);
    expect(batches).toEqual([[0], [1, 2], [3, 4, 5, 6], [7, 8, 9]]);
  });

  it('stops after the batch where something failed', async () => {
    const ran: number[] = [];
    await expect(
      slowStartBatch(20, async (i) => {
        ran.push(i);
        if (i === 2) throw new Error('no quota');
      }),
    ).rejects.toThrow('no quota');
    expect(ran.sort((a, b) => a - b)).toEqual([0, 1, 2]);
  });
});
