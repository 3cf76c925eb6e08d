// Get latency through the bus vs directly (figures in the log; the bound is loose, for a 2-core box).
import { expect, test } from 'vitest';
import { benchBus } from './bench-bus.ts';

test('1,000 gets: bus vs direct', async () => {
  const r = await benchBus(1000);
  console.log(
    `[bench] 1000 gets direct p50=${r.direct.p50us}us p99=${r.direct.p99us}us ${r.direct.parallelPerSec}/s(x32) | ` +
      `bus p50=${r.bus.p50us}us p99=${r.bus.p99us}us ${r.bus.parallelPerSec}/s(x32)`,
  );
  expect(r.bus.p50us).toBeLessThan(20_000);
});
