import { expect, it } from 'vitest';
import { CrashLoopBackoff } from './backoff.ts';

it('doubles the wait after each exit up to the maximum, and starts over after a long run', () => {
  const b = new CrashLoopBackoff({ initialMs: 10_000, maxMs: 40_000 });
  const waits: number[] = [];
  let t = 1_000_000;
  for (let i = 0; i < 5; i++) {
    const finished = t + 1_000;
    waits.push(b.wait('u/c', t, finished, finished));
    expect(b.wait('u/c', t, finished, finished + 5_000)).toBe(Math.max(0, waits[i] - 5_000)); // same exit: same step
    t = finished + waits[i];
  }
  expect(waits).toEqual([10_000, 20_000, 40_000, 40_000, 40_000]);
  // ran for longer than twice the maximum: back to the first step
  expect(b.wait('u/c', t, t + 100_000, t + 100_000)).toBe(10_000);
  b.forgetPod('u');
  expect(b.delayMs('u/c')).toBe(10_000);
});
