import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.ts';

describe('WorkQueue', () => {
  it('de-duplicates, never runs a key twice at once, and re-runs a key added while running', async () => {
    const runs: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue(async (k) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs.push(k);
      await new Promise((r) => setTimeout(r, 10));
      if (k === 'a' && runs.filter((x) => x === 'a').length === 1) q.add('a');
      running--;
    }, 2);
    q.add('a');
    q.add('b'); // both start at once
    q.add('c');
    q.add('c'); // waits, once
    await q.idle();
    expect(runs.sort()).toEqual(['a', 'a', 'b', 'c']);
    expect(maxRunning).toBe(2);
    await q.stop();
    q.add('d');
    expect(q.length).toBe(0);
  });
});
