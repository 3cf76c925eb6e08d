import { expect, it } from 'vitest';
import { SyncLoop } from './sync-loop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('syncs nothing before start, then a full sync, then one sync for a burst of changes', async () => {
  const calls: boolean[] = [];
  const loop = new SyncLoop({ sync: async (full) => void calls.push(full), delayMs: 20 });
  loop.request();
  await sleep(40);
  expect(calls).toEqual([]);
  loop.start();
  await loop.idle();
  expect(calls).toEqual([true]);
  for (let i = 0; i < 10; i++) loop.request();
  await loop.idle();
  expect(calls).toEqual([true, false]);
  await loop.stop();
});

it('a change during a sync brings one more sync after it, never two at once', async () => {
  let inFlight = 0;
  let most = 0;
  const calls: boolean[] = [];
  const loop = new SyncLoop({
    sync: async (full) => {
      most = Math.max(most, ++inFlight);
      calls.push(full);
      await sleep(30);
      inFlight--;
    },
  });
  loop.start();
  await sleep(5);
  loop.request();
  loop.request();
  await loop.idle();
  expect(calls).toEqual([true, false]);
  expect(most).toBe(1);
  await loop.stop();
});

it('a failure is retried as a full sync after a back-off that doubles', async () => {
  const at: [number, boolean][] = [];
  let fail = 2;
  const t0 = performance.now();
  const loop = new SyncLoop({
    sync: async (full) => {
      at.push([performance.now() - t0, full]);
      if (fail-- > 0) throw new Error('refused');
    },
    retryMs: 40,
  });
  loop.start();
  await sleep(10);
  await loop.idle();
  expect(at.map(([, full]) => full)).toEqual([true, true, true]);
  expect(at[1]![0] - at[0]![0]).toBeGreaterThanOrEqual(35);
  expect(at[2]![0] - at[1]![0]).toBeGreaterThanOrEqual(75);
  // after a success the next change is a partial sync at once
  loop.request();
  await loop.idle();
  expect(at.at(-1)![1]).toBe(false);
  await loop.stop();
});
