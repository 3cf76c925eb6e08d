// `npm run bench -- soak [--minutes 30] [--rate 500] [--watches 100] [--namespaces 4] [--objects 300]
//   [--warmup S] [--sample S] [--watch-timeout S] [--fresh-watch-connections]`
// A long run of mixed REST traffic against `skiff server` (default distribution, a child process, as
// a user runs it), to see whether memory stays flat and nothing fails:
// - an open-loop generator at `--rate` operations/s (each due at start + i/rate; latency counts from
//   that time, so the generator's own lag counts) of creates, deletes, PUTs with resourceVersion,
//   merge PATCHes, GETs, namespace lists and label-selected lists of ConfigMaps and Secrets
//   (soak-load.ts: no two writes race, every answer is checked against the expected state);
// - `--watches` watches held open the whole time, informer-style (soak-watch.ts): re-opened from the
//   last resourceVersion when they end (each asks for a timeoutSeconds in [T, 2T]), re-listed on 410,
//   every event checked for order; at the end what each holds is compared with a list.
// The server's and nats-server's RSS are read every `--sample` s. The warm-up is 10% of the run, at
// most 180 s (at 500/s the watch cache's rings of 10,000 events per resource fill in about 70 s, and
// RSS levels off after about 3 minutes); latencies count only the operations due after it.
// rssStartMb is the median of the samples in the window (60 s, or 10% of the run if shorter) right
// after the warm-up, rssEndMb the median of the last window of the load: single samples move with GC.
// Each sample alone is in rssAt*Mb and, one a minute, in rssSeriesMbPerMin.
// The generator runs on the same 2 cores as the server: CPU seconds of each, and of everything else on
// the machine, are in the report. The last line is one JSON object.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { machineCpu, pct, repoRoot, rssMb, rssPartsMb, sleep } from './_util.ts';
import { call, startServerProcess } from './_server.ts';
import { KINDS, SHARDS, SoakLoad, VERBS, type Outcome, type Verb } from './soak-load.ts';
import { SoakWatch, scopeUrl, type Scope } from './soak-watch.ts';
import { MachineShare, cpuSeconds } from './soak-machine.ts';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '500' },
    watches: { type: 'string', default: '100' },
    namespaces: { type: 'string', default: '4' },
    objects: { type: 'string', default: '300' },
    warmup: { type: 'string' },
    sample: { type: 'string', default: '2' },
    'watch-timeout': { type: 'string', default: '60' },
    // each watch's lists and watch requests on connections of their own (see SoakWatch's freshConnections)
    'fresh-watch-connections': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const DURATION_MS = Number(flags.minutes) * 60_000;
const RATE = Number(flags.rate);
const WATCHES = Number(flags.watches);
const NAMESPACES = Array.from({ length: Number(flags.namespaces) }, (_, i) => `soak-${i}`);
const WARMUP_MS = flags.warmup !== undefined ? Number(flags.warmup) * 1000 : Math.min(180_000, DURATION_MS * 0.1);
const WINDOW_MS = Math.min(60_000, DURATION_MS * 0.1);
const SAMPLE_MS = Number(flags.sample) * 1000;

const median = (xs: number[]) => (xs.length ? pct(xs, 50) : undefined);
const round = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? undefined : Math.round(x * 10 ** d) / 10 ** d);

/** The watches: per namespace (ConfigMaps, Secrets), per label shard across namespaces, and whole collections. */
function watchScopes(n: number): Scope[] {
  return Array.from({ length: n }, (_, i) => {
    const kind = KINDS[Math.floor(i / 4) % KINDS.length]!.resource;
    const ns = NAMESPACES[Math.floor(i / 4) % NAMESPACES.length]!;
    switch (i % 4) {
      case 0:
        return { path: `/api/v1/namespaces/${ns}/configmaps` };
      case 1:
        return { path: `/api/v1/namespaces/${ns}/secrets` };
      case 2:
        return { path: `/api/v1/${kind}`, labelSelector: `soak-shard=${Math.floor(i / 4) % SHARDS}` };
      default:
        return { path: `/api/v1/${kind}` };
    }
  });
}

// Errors: counted per verb and per verb and class ("get 503"); the first few are printed as they happen.
const errorsByVerb: Record<string, number> = Object.fromEntries([...VERBS, 'watch'].map((v) => [v, 0]));
const errorKinds: Record<string, number> = {};
let printed = 0;
function error(verb: Verb | 'watch', msg: string, kind = 'other'): void {
  errorsByVerb[verb]!++;
  errorKinds[`${verb} ${kind}`] = (errorKinds[`${verb} ${kind}`] ?? 0) + 1;
  if (printed++ < 30) console.error(`soak: ${verb}: ${msg}`);
}

/** What was measured: the commit, whether the tree had changes, and when dist/skiff.mjs was built. */
function build(): Record<string, unknown> {
  const root = repoRoot();
  const git = (...a: string[]) => {
    try {
      return execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  return { commit: git('rev-parse', '--short', 'HEAD'), treeChanged: git('status', '--porcelain', '--untracked-files=no') !== '', distBuiltAt: statSync(join(root, 'dist', 'skiff.mjs')).mtime.toISOString() };
}

const home = mkdtempSync(join(tmpdir(), 'skiff-bench-soak-'));
const srv = await startServerProcess(home);
const r = srv.rest;
const watchAgent = new Agent({ connect: { ca: srv.ca }, connections: WATCHES + 8, keepAliveTimeout: 60_000, bodyTimeout: 0 });
// connections opened by the load and by the watches: keep-alive should keep these near their pool sizes
const connects = { load: 0, watch: 0 };
const closedWhy: Record<string, number> = {};
for (const [name, agent] of [['load', r.agent], ['watch', watchAgent]] as const) {
  agent.on('connect', () => connects[name]++);
  agent.on('disconnect', (_o: unknown, _t: unknown, err: Error) => {
    const why = `${name}: ${String(err?.message ?? err).slice(0, 60)}`;
    closedWhy[why] = (closedWhy[why] ?? 0) + 1;
  });
}
const out: Record<string, unknown> = { bench: 'soak', minutes: Number(flags.minutes), offeredRate: RATE, watches: WATCHES, namespaces: NAMESPACES.length, objectSlots: 0, freshWatchConnections: flags['fresh-watch-connections'], ...build() };
try {
  for (const ns of NAMESPACES) await call(r, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const load = new SoakLoad(r, NAMESPACES, Number(flags.objects));
  out.objectSlots = load.slots.length;
  await load.fill();

  const watches = watchScopes(WATCHES).map((s) => new SoakWatch(s, r, watchAgent, { minTimeoutS: Number(flags['watch-timeout']), freshConnections: flags['fresh-watch-connections'], onError: (m, kind) => error('watch', m, kind) }));
  for (let i = 0; i < watches.length; i += 10) await Promise.all(watches.slice(i, i + 10).map((w) => w.start()));

  // RSS samples, for the whole run. nats-server may be restarted by the server (a new pid): its CPU
  // is the sum over every pid seen.
  const samples: { t: number; rss?: number; nats?: number; parts?: ReturnType<typeof rssPartsMb> }[] = [];
  const natsPids = new Map<number, number>();
  const share = new MachineShare();
  const t0 = performance.now();
  const sampleNow = () => {
    const np = srv.natsPid();
    if (np) natsPids.set(np, Math.max(natsPids.get(np) ?? 0, cpuSeconds(np)));
    const s = { t: (performance.now() - t0) / 1000, rss: rssMb(srv.pid), nats: np ? rssMb(np) : undefined, parts: rssPartsMb(srv.pid) };
    samples.push(s);
    share.sample();
    return s;
  };
  sampleNow();
  const sampler = setInterval(sampleNow, SAMPLE_MS);

  // The open loop
  const lat: Record<Verb, number[]> = Object.fromEntries(VERBS.map((v) => [v, []])) as unknown as Record<Verb, number[]>;
  const opsByVerb: Record<string, number> = Object.fromEntries(VERBS.map((v) => [v, 0]));
  const lag: number[] = [];
  let inflight = 0;
  let maxInflight = 0;
  let completed = 0;
  let skipped = 0;
  const drained: { resolve?: () => void } = {};
  const end = t0 + DURATION_MS;
  const warmEnd = t0 + WARMUP_MS;
  let atWarm: { rss?: number; nats?: number; server: number; natsCpu: number; client: number; machine: { busy: number; total: number }; t: number; load: number[]; completed: number } | undefined;
  const natsCpu = () => [...natsPids.values()].reduce((a, b) => a + b, 0);
  const issue = (due: number) => {
    const now = performance.now();
    if (due >= warmEnd) lag.push(now - due);
    inflight++;
    if (inflight > maxInflight) maxInflight = inflight;
    void load.next().then((o: Outcome) => {
      if (o.skipped) skipped++;
      else {
        completed++;
        opsByVerb[o.verb]!++;
      }
      if (o.error) error(o.verb, o.error, o.kind);
      else if (!o.skipped && due >= warmEnd) lat[o.verb].push(performance.now() - due);
      if (--inflight === 0) drained.resolve?.();
    });
  };
  let i = 0;
  let nextProgress = t0 + 60_000;
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    if (samples[samples.length - 1]!.rss === undefined) {
      // the server is gone: nothing more to measure
      out.serverDiedAtS = round(samples[samples.length - 1]!.t);
      break;
    }
    if (!atWarm && now >= warmEnd) {
      const s = sampleNow();
      atWarm = { rss: s.rss, nats: s.nats, server: cpuSeconds(srv.pid), natsCpu: natsCpu(), client: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6, machine: machineCpu(), t: now, load: loadavg(), completed };
      share.mark();
    }
    if (now >= nextProgress) {
      nextProgress += 60_000;
      const s = samples[samples.length - 1]!;
      const errs = Object.values(errorsByVerb).reduce((a, b) => a + b, 0);
      console.error(`soak: ${Math.round((now - t0) / 1000)} s, ${completed} ops, ${errs} errors, ${inflight} in flight, server ${s.rss} MB, nats ${s.nats} MB, load ${loadavg()[0]!.toFixed(2)}`);
    }
    const due = Math.floor(((now - t0) * RATE) / 1000) + 1;
    for (; i < due; i++) issue(t0 + (i * 1000) / RATE);
    await sleep(Math.max(1, t0 + (i * 1000) / RATE - performance.now()));
  }
  const loadEnd = performance.now();
  const last = sampleNow();
  clearInterval(sampler);
  const cpuEnd = { server: cpuSeconds(srv.pid), natsCpu: natsCpu(), client: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6, machine: machineCpu(), load: loadavg(), completed };
  const others = share.top(new Set([srv.pid, process.pid, ...natsPids.keys()]), (loadEnd - (atWarm?.t ?? t0)) / 1000, 4);
  if (inflight > 0) await new Promise<void>((res) => (drained.resolve = res));

  // What each watch holds against a list of its scope, once its last events are in (up to 15 s).
  const serverAlive = rssMb(srv.pid) !== undefined;
  const lists = new Map<string, { metadata: { name: string; namespace?: string; resourceVersion: string } }[]>();
  let mismatched: SoakWatch[] = watches;
  let verifyError: string | undefined;
  try {
    for (const t = Date.now(); mismatched.length && Date.now() - t < 15_000; await sleep(500)) {
      lists.clear();
      for (const w of mismatched) {
        const u = scopeUrl(w.scope);
        if (!lists.has(u)) lists.set(u, ((await call(r, 'GET', u)) as { items: never[] }).items);
      }
      mismatched = mismatched.filter((w) => w.state.diff(lists.get(scopeUrl(w.scope))!).length > 0);
    }
    for (const w of mismatched) {
      const d = w.state.diff(lists.get(scopeUrl(w.scope))!);
      error('watch', `${scopeUrl(w.scope)} holds what a list does not: ${d.length} differences, e.g. ${d.slice(0, 3).join('; ')}`, 'mismatch');
    }
  } catch (e) {
    // the server cannot answer a list: the watches could not be compared
    verifyError = (e as Error).message.slice(0, 200);
    error('watch', `comparing the watches with lists: ${verifyError}`, 'verify');
  }
  await Promise.all(watches.map((w) => w.stop()));
  await sleep(5000);
  const idle = sampleNow();

  // Figures
  const post = samples.filter((s) => s.t * 1000 >= WARMUP_MS && s.t * 1000 <= loadEnd - t0);
  const rss = post.map((s) => s.rss ?? 0);
  const nats = samples.map((s) => s.nats ?? 0);
  // least-squares slope of the post-warm-up RSS, MB per 10 minutes
  const slope = (() => {
    if (post.length < 3) return undefined;
    const mx = post.reduce((a, s) => a + s.t, 0) / post.length;
    const my = rss.reduce((a, b) => a + b, 0) / rss.length;
    const num = post.reduce((a, s, k) => a + (s.t - mx) * (rss[k]! - my), 0);
    const den = post.reduce((a, s) => a + (s.t - mx) ** 2, 0);
    return (num / den) * 600;
  })();
  const inWindow = (fromMs: number) => samples.filter((x) => x.t * 1000 >= fromMs && x.t * 1000 <= Math.min(fromMs + WINDOW_MS, loadEnd - t0));
  const startMb = median(inWindow(WARMUP_MS).map((x) => x.rss ?? 0));
  const perMinute = samples.filter((s, k) => k === 0 || Math.floor(s.t / 60) > Math.floor(samples[k - 1]!.t / 60));
  const endMb = median(inWindow(loadEnd - t0 - WINDOW_MS).map((x) => x.rss ?? 0));
  const w0 = atWarm ?? { rss: samples[0]!.rss, nats: samples[0]!.nats, server: 0, natsCpu: 0, client: 0, machine: machineCpu(), t: t0, load: loadavg(), completed: 0 };
  const steadyS = (loadEnd - w0.t) / 1000;
  const busy = cpuEnd.machine.busy - w0.machine.busy;
  const ours = cpuEnd.server - w0.server + (cpuEnd.natsCpu - w0.natsCpu) + (cpuEnd.client - w0.client);
  const errors = Object.values(errorsByVerb).reduce((a, b) => a + b, 0);
  Object.assign(out, {
    serverAlive,
    verifyError,
    durationS: round((loadEnd - t0) / 1000),
    warmupS: round(WARMUP_MS / 1000),
    rssStartMb: startMb,
    rssEndMb: endMb,
    rssAtWarmupEndMb: w0.rss,
    rssAtLoadEndMb: last.rss,
    rssMaxMb: rss.reduce((a, b) => Math.max(a, b), last.rss ?? 0),
    rssEndVsStartPct: startMb && endMb ? round(((endMb - startMb) / startMb) * 100) : undefined,
    rssSlopeMbPer10Min: round(slope),
    rssIdleAfterMb: idle.rss,
    natsRssStartMb: median(inWindow(WARMUP_MS).map((x) => x.nats ?? 0)),
    natsRssEndMb: median(inWindow(loadEnd - t0 - WINDOW_MS).map((x) => x.nats ?? 0)),
    natsRssMaxMb: nats.reduce((a, b) => Math.max(a, b), 0),
    natsPids: natsPids.size,
    errors,
    errorsByVerb,
    errorKinds,
    ops: completed,
    skippedNoIdleObject: skipped,
    opsPerSec: round(completed / ((loadEnd - t0) / 1000)),
    opsPerSecAfterWarmup: round((cpuEnd.completed - w0.completed) / steadyS),
    opsByVerb,
    p50Ms: Object.fromEntries(VERBS.map((v) => [v, round(pct(lat[v], 50), 2)])),
    p99Ms: Object.fromEntries(VERBS.map((v) => [v, round(pct(lat[v], 99), 2)])),
    p99AllMs: round(pct(VERBS.flatMap((v) => lat[v]), 99), 2),
    maxMs: round(VERBS.reduce((m, v) => lat[v].reduce((a, b) => (b > a ? b : a), m), 0), 1),
    generatorLagP99Ms: round(pct(lag, 99), 2),
    maxInflight,
    connectionsOpened: connects,
    connectionsClosedBy: closedWhy,
    watchEvents: watches.reduce((a, w) => a + w.state.events, 0),
    watchRestarts: watches.reduce((a, w) => a + w.restarts, 0),
    watchRelists: watches.reduce((a, w) => a + w.relists, 0),
    watchOrderViolations: watches.reduce((a, w) => a + w.state.violations.length, 0),
    watchTransportErrors: watches.reduce((a, w) => a + w.transportErrors, 0),
    watchesMismatchedAtEnd: mismatched.length,
    liveObjectsAtEnd: load.live,
    rssSeriesMbPerMin: perMinute.map((s) => s.rss),
    // the same samples split: the main malloc heap (Buffers, native allocations), other anonymous
    // memory (V8's heap pages, thread arenas), mapped files
    rssMallocSeriesMbPerMin: perMinute.map((s) => s.parts?.malloc),
    rssAnonSeriesMbPerMin: perMinute.map((s) => s.parts?.anon),
    // who used the 2 cores after the warm-up (CPU seconds per second of run: 2.0 is both cores)
    machine: {
      cores: cpus().length,
      loadAvgStart: w0.load.map((x) => round(x, 2)),
      loadAvgEnd: cpuEnd.load.map((x) => round(x, 2)),
      busyCores: round(busy / steadyS, 2),
      serverCores: round((cpuEnd.server - w0.server) / steadyS, 2),
      natsCores: round((cpuEnd.natsCpu - w0.natsCpu) / steadyS, 2),
      clientCores: round((cpuEnd.client - w0.client) / steadyS, 2),
      otherCores: round((busy - ours) / steadyS, 2),
      topOthers: others,
    },
  });
} finally {
  await watchAgent.close().catch(() => {});
  await srv.stop();
  rmSync(home, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
process.exit(0);
