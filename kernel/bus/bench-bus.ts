// Get latency through the kernel bus vs directly: `npx tsx kernel/bus/bench-bus.ts [n]`.
// Sequential gets of one ConfigMap (a cache hit in the kernel), p50/p99 in microseconds, plus
// throughput with 32 gets in flight.
import { pathToFileURL } from 'node:url';
import type { Kernel } from '../types.ts';
import { CM, NS, cm, ns, percentile, startBusFixture } from './testing.ts';

export interface LatencyFigures {
  p50us: number;
  p99us: number;
  meanUs: number;
  /** gets per second with 32 in flight */
  parallelPerSec: number;
}

async function measure(k: Kernel, n: number): Promise<LatencyFigures> {
  for (let i = 0; i < 100; i++) await k.get(CM, 'default', 'bench'); // warm up
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await k.get(CM, 'default', 'bench');
    xs.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const t0 = performance.now();
  let left = n;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (left-- > 0) await k.get(CM, 'default', 'bench');
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const r = (x: number) => Math.round(x);
  return { p50us: r(percentile(xs, 50)), p99us: r(percentile(xs, 99)), meanUs: r(xs.reduce((a, b) => a + b, 0) / xs.length), parallelPerSec: r(n / secs) };
}

export async function benchBus(n = 1000): Promise<{ direct: LatencyFigures; bus: LatencyFigures }> {
  const f = await startBusFixture();
  try {
    await f.kernel.create(NS, ns('default'));
    await f.kernel.create(CM, cm('bench', { k: 'v'.repeat(200) }));
    const direct = await measure(f.kernel, n);
    const bus = await measure(f.client, n);
    return { direct, bus };
  } finally {
    await f.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2] ?? 1000);
  const r = await benchBus(n);
  console.log(`${n} gets   direct: p50 ${r.direct.p50us}us p99 ${r.direct.p99us}us (${r.direct.parallelPerSec}/s with 32 in flight)`);
  console.log(`${n} gets   bus:    p50 ${r.bus.p50us}us p99 ${r.bus.p99us}us (${r.bus.parallelPerSec}/s with 32 in flight)`);
}
