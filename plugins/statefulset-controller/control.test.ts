import { describe, expect, it } from 'vitest';
import { MAX_BATCH_SIZE, runForAll } from './control.ts';

describe('runForAll', () => {
  it('monotonic: one at a time, in order, stopping at the first that says to wait', async () => {
    const ran: number[] = [];
    let running = 0;
    const stop = await runForAll(10, async (i) => {
      expect(running++).toBe(0);
      ran.push(i);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      return i === 3;
    }, true);
    expect(stop).toBe(true);
    expect(ran).toEqual([0, 1, 2, 3]);
  });

  it('burst: every ordinal in slow-start batches, whatever fn says', async () => {
    const batches: number[][] = [];
    let running = 0;
    const stop = await runForAll(10, async (i) => {
      if (running++ === 0) batches.push([]);
      batches[batches.length - 1].push(i);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return true;
    }, false);
    expect(stop).toBe(false);
    expect(batches).toEqual([[0], [1, 2], [3, 4, 5, 6], [7, 8, 9]]);
    expect(MAX_BATCH_SIZE).toBe(500);
  });

  it('burst: stops after the batch where something failed, with its errors together', async () => {
    const ran: number[] = [];
    await expect(
      runForAll(20, async (i) => {
        ran.push(i);
        if (i === 1 || i === 2) throw new Error(`no quota ${i}`);
        return false;
      }, false),
    ).rejects.toThrow('[no quota 1, no quota 2]');
    expect(ran.sort((a, b) => a - b)).toEqual([0, 1, 2]);
  });
});
