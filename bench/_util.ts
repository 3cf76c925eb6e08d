// Shared by the benchmarks: load generators, percentiles, RSS.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Figures = Record<string, string | number | boolean | undefined>;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const v = s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return Math.round(v * 1000) / 1000;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (NaN when gone). */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/** The machine's CPU time so far, in seconds summed over the cores: busy (not idle or iowait) and total. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - v[3]! - v[4]!) / 100, total: total / 100 };
}

export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A process's RSS by kind of mapping, in MB: `malloc` the main thread's malloc heap ([heap], where
 * Node's Buffers and native allocations live), `anon` other anonymous memory (V8's heap pages,
 * thread arenas, stacks), `file` mapped files (the node binary, libraries).
 */
export function rssPartsMb(pid: number): { malloc: number; anon: number; file: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = { malloc: 0, anon: 0, file: 0 };
  let kind: keyof typeof kb = 'anon';
  for (const line of text.split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const name = m[1]!;
      kind = name === '[heap]' ? 'malloc' : name.startsWith('/') ? 'file' : 'anon';
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r) kb[kind] += Number(r[1]);
  }
  const mb = (x: number) => Math.round((x / 1024) * 10) / 10;
  return { malloc: mb(kb.malloc), anon: mb(kb.anon), file: mb(kb.file) };
}

export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) || !existsSync(join(d, 'kernel'))) d = dirname(d);
  return d;
}

/**
 * Open loop: operation i is due at start + i/rate; its latency counts from when it was due — not
 * from when this process got round to sending it — so a server that falls behind shows it, and so
 * does this load generator's own lag (no coordinated omission). `lag` is that part alone: how late
 * each operation was sent.
 */
export async function openLoop(n: number, rate: number, op: (i: number) => Promise<unknown>): Promise<{ lat: number[]; lag: number[]; opsPerSec: number }> {
  const lat: number[] = [];
  const lag: number[] = [];
  const start = performance.now();
  const startMonoUs = Number(process.hrtime.bigint() / 1000n);
  const trace: [number, number][] | undefined = process.env.SKIFF_BENCH_TRACE ? [] : undefined;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    // never early: a timer may fire up to a millisecond late, and that lateness counts (lag)
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    lag.push(Math.max(0, performance.now() - due));
    inflight.push(
      op(i).then(() => {
        const l = performance.now() - due;
        lat.push(l);
        trace?.push([due - start, l]);
      }),
    );
  }
  await Promise.all(inflight);
  if (trace) writeTrace(startMonoUs, trace);
  return { lat, lag, opsPerSec: Math.round(n / ((performance.now() - start) / 1000)) };
}

/**
 * SKIFF_BENCH_TRACE=<file>: each open loop appends a line `{ startMonoUs, trace: [[dueMs, latencyMs], ...] }`,
 * when each operation was due (from the loop's start) and how long it took from then. startMonoUs is
 * CLOCK_MONOTONIC in µs, the clock of a V8 `--cpu-prof` profile's timestamps (SKIFF_BENCH_NODE_ARGS),
 * so the slow operations can be laid over what the server was doing at the time.
 */
function writeTrace(startMonoUs: number, trace: [number, number][]): void {
  const file = process.env.SKIFF_BENCH_TRACE;
  if (file) appendFileSync(file, JSON.stringify({ startMonoUs, trace: trace.sort((a, b) => a[0] - b[0]) }) + '\n');
}

/**
 * Operations every measured run is preceded by, the same for Skiff and for the floors it is compared
 * with. Fewer leave the first seconds of an open loop to code V8 has not optimised yet: after 640
 * warm-up creates, 60–90 % of the REST creates in the first 1.5 s at 1,000/s took over 5 ms (10–40 %
 * after 3,000), and the server's CPU per create at 32 in flight was ~360 µs (~270 µs after 3,000).
 */
export const WARM_UP_OPS = 3000;

/** Closed loop: `concurrency` workers, each issuing the next operation when its last one returns. */
export async function closedLoop(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<{ lat: number[]; opsPerSec: number }> {
  const lat: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await op(i);
        lat.push(performance.now() - t);
      }
    }),
  );
  return { lat, opsPerSec: Math.round(n / ((performance.now() - start) / 1000)) };
}
