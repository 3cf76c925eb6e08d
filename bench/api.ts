// `npm run bench -- api [--creates N] [--rate R] [--watchers W] [--grpc]`
// The REST API (a real `skiff server` child process over HTTPS with a token) and the kernel
// interface directly: create latency at an offered rate (open loop: latency counts from the
// scheduled send time, so queueing shows), create throughput with 32 in flight, get and list
// latency, watch delivery latency with many watchers, and the idle server's RSS. With --grpc, the
// same server's gRPC API too (TLS, the same token; a client built from proto/ only): grpcCreateP99Ms
// at the offered rate (from grpc-js's client, and …LeanClient from a node:http2 one),
// grpcCreateOpsPerSecAt32, grpcGetP99Ms, grpcWatchP99Ms.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { SkiffKernel, startNatsServer, type KObject, type ResourceRef } from '@skiff/kernel';
import { Agent, request } from 'undici';
import { cpuSeconds, machineCpu, pct, rssMb, sleep, openLoop, closedLoop, WARM_UP_OPS, type Figures } from './_util.ts';
import { call, restAgent, serverRuntime, startServerProcess, warmUpRest, type Rest } from './_server.ts';
import { connectSkiff, type SkiffGrpcClient } from '../integration/grpc-client.ts';
import { h2loadCreates } from './_h2load.ts';
import { leanGrpcClient } from './_grpc-h2-client.ts';

const { values: flags } = parseArgs({
  options: {
    creates: { type: 'string', default: '5000' },
    rate: { type: 'string', default: '1000' },
    watchers: { type: 'string', default: '100' },
    events: { type: 'string', default: '300' },
    grpc: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const CREATES = Number(flags.creates);
const RATE = Number(flags.rate);
const WATCHERS = Number(flags.watchers);
const EVENTS = Number(flags.events);

const CM: ResourceRef = { group: '', version: 'v1', resource: 'configmaps' };
const cm = (ns: string, name: string, t = 0): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { k: 'v'.repeat(64), t: String(t) } });
/** the same ConfigMap named by the server (h2load sends the same bytes every time) */
const generatedCm = (ns: string): KObject => ({ ...cm(ns, ''), metadata: { generateName: 'h2-', namespace: ns } });

/** Watch latency: W watch streams; E creates, one at a time; delivery time per (event, watcher). */
async function restWatchLatency(r: Rest, ns: string, ca: string): Promise<{ fromAck: number[]; fromSend: number[]; fanout: number[] }> {
  const firstSeen = new Map<string, number>();
  const seenAt: [string, number][] = [];
  // one connection per watch stream, apart from the connections the writes use
  const watchAgent = new Agent({ connect: { ca }, connections: WATCHERS + 1, keepAliveTimeout: 60_000 });
  const sent = new Map<string, { send: number; ack: number }>();
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  const aborts: AbortController[] = [];
  let received = 0;
  const list = (await call(r, 'GET', `/api/v1/namespaces/${ns}/configmaps`)) as { metadata: { resourceVersion: string } };
  const streams = Array.from({ length: WATCHERS }, async () => {
    const ac = new AbortController();
    aborts.push(ac);
    const res = await request(`${r.base}/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}`, { dispatcher: watchAgent, headers: r.headers, signal: ac.signal });
    let buf = '';
    try {
      for await (const chunk of res.body) {
        const now = performance.now();
        buf += chunk.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const name = /"name":"([^"]+)"/.exec(line)?.[1];
          const s = name ? sent.get(name) : undefined;
          if (s) {
            received++;
            seenAt.push([name!, now]);
            if (!firstSeen.has(name!) || firstSeen.get(name!)! > now) firstSeen.set(name!, now);
            fromSend.push(now - s.send);
            if (s.ack > 0) fromAck.push(Math.max(0, now - s.ack));
            else fromAck.push(0); // delivered before the writer saw its answer
          }
        }
      }
    } catch {
      /* aborted */
    }
  });
  await sleep(500);
  for (let i = 0; i < EVENTS; i++) {
    const name = `w-${i}`;
    const rec = { send: performance.now(), ack: 0 };
    sent.set(name, rec);
    await call(r, 'POST', `/api/v1/namespaces/${ns}/configmaps`, cm(ns, name));
    rec.ack = performance.now();
    await sleep(5);
  }
  const deadline = Date.now() + 10_000;
  while (received < EVENTS * WATCHERS && Date.now() < deadline) await sleep(50);
  for (const a of aborts) a.abort();
  await Promise.allSettled(streams);
  await watchAgent.close();
  const fanout = seenAt.map(([name, t]) => t - firstSeen.get(name)!);
  return { fromAck, fromSend, fanout };
}

/** CPU time (user + system) of a process so far, ms: a figure the machine's other load does not inflate as much as latency. */
const cpuMs = (pid: number) => cpuSeconds(pid) * 1000;

/** CPU seconds so far of the server, NATS, this process and the machine; `since` gives µs per operation. */
function cpuBudget(server: number, nats: number | undefined) {
  const own = process.cpuUsage();
  const at = { server: cpuSeconds(server), nats: cpuSeconds(nats), client: (own.user + own.system) / 1e6, machine: machineCpu().busy };
  return {
    ...at,
    since: (t0: typeof at, ops: number) => {
      const us = (a: number, b: number) => Math.round(((a - b) * 1e6) / ops);
      return { server: us(at.server, t0.server), nats: us(at.nats, t0.nats), client: us(at.client, t0.client), machine: us(at.machine, t0.machine) };
    },
  };
}

/** Watch latency over gRPC, as restWatchLatency: W watch streams on one channel, E creates one at a time. */
async function grpcWatchLatency(c: SkiffGrpcClient, ns: string): Promise<{ fromAck: number[]; fromSend: number[] }> {
  const CMS = { version: 'v1', resource: 'configmaps', namespace: ns };
  const sent = new Map<string, { send: number; ack: number }>();
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  const rv = (await c.list(CMS, { limit: 1 })).resourceVersion;
  const watches = Array.from({ length: WATCHERS }, () =>
    c.watch(CMS, { resourceVersion: rv }, (ev) => {
      const now = performance.now();
      const s = sent.get(ev.object.metadata.name);
      if (!s) return;
      fromSend.push(now - s.send);
      fromAck.push(s.ack > 0 ? Math.max(0, now - s.ack) : 0);
    }),
  );
  await sleep(500);
  for (let i = 0; i < EVENTS; i++) {
    const name = `gw-${i}`;
    const rec = { send: performance.now(), ack: 0 };
    sent.set(name, rec);
    await c.create(CMS, cm(ns, name));
    rec.ack = performance.now();
    await sleep(5);
  }
  const deadline = Date.now() + 10_000;
  while (fromAck.length < EVENTS * WATCHERS && Date.now() < deadline) await sleep(50);
  for (const w of watches) w.cancel();
  await Promise.allSettled(watches.map((w) => w.done));
  return { fromAck, fromSend };
}

/** The gRPC API of the same server: the figures the REST API has, for the calls gRPC serves. */
async function grpcFigures(home: string, ca: string, token: string, pid: number, natsPid: number | undefined): Promise<Figures> {
  const address = readFileSync(join(home, 'grpc-address'), 'utf8').trim();
  const c = connectSkiff({ address, ca, token, protoDir: join(import.meta.dirname, '..', 'proto') });
  const out: Figures = {};
  try {
    const NS = { version: 'v1', resource: 'namespaces' };
    await c.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gbench' } });
    await c.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gwatch' } });
    const CMS = { version: 'v1', resource: 'configmaps', namespace: 'gbench' };
    await closedLoop(WARM_UP_OPS, 16, (i) => c.create(CMS, cm('gbench', `warm-${i}`)));
    out.grpcLoadAvg1m = Math.round(loadavg()[0]! * 100) / 100;
    const create = await openLoop(CREATES, RATE, (i) => c.create(CMS, cm('gbench', `c-${i}`)));
    out.grpcCreateP50Ms = pct(create.lat, 50);
    out.grpcCreateP99Ms = pct(create.lat, 99);
    out.grpcCreateGeneratorLagP99Ms = pct(create.lag, 99);
    out.grpcCreateAchievedPerSec = create.opsPerSec;
    // the same open loop from a lean client (node:http2), so the client's own lag is not most of it
    const lean = leanGrpcClient({ address, ca, token });
    try {
      await closedLoop(WARM_UP_OPS, 16, (i) => lean.create(CMS, cm('gbench', `lwarm-${i}`)));
      const leanCreate = await openLoop(CREATES, RATE, (i) => lean.create(CMS, cm('gbench', `l-${i}`)));
      out.grpcCreateP50MsLeanClient = pct(leanCreate.lat, 50);
      out.grpcCreateP99MsLeanClient = pct(leanCreate.lat, 99);
      out.grpcCreateGeneratorLagP99MsLeanClient = pct(leanCreate.lag, 99);
    } finally {
      lean.close();
    }
    const cpu0 = cpuMs(pid);
    const thr = await closedLoop(CREATES, 32, (i) => c.create(CMS, cm('gbench', `t-${i}`)));
    out.grpcCreateServerCpuUsPerOp = Math.round(((cpuMs(pid) - cpu0) * 1000) / CREATES);
    out.grpcCreateOpsPerSecAt32 = thr.opsPerSec;
    out.grpcCreateP99MsAt32 = pct(thr.lat, 99);
    // the same creates from h2load, a C HTTP/2 client that leaves the server more of the cores;
    // every create it was answered for must be stored
    const stored = async () => {
      const l = await c.list(CMS, { limit: 1 });
      return l.items.length + (l.remainingItemCount ?? 0);
    };
    const before = await stored();
    const h2cpu0 = cpuBudget(pid, natsPid);
    const h2 = h2loadCreates({ address, token, ref: CMS, object: generatedCm('gbench'), n: 2 * CREATES, concurrency: 32 });
    const h2cpu = cpuBudget(pid, natsPid).since(h2cpu0, 2 * CREATES);
    Object.assign(out, { grpcCreateServerCpuUsPerOpH2load: h2cpu.server, grpcCreateNatsCpuUsPerOpH2load: h2cpu.nats, grpcCreateMachineCpuUsPerOpH2load: h2cpu.machine });
    const added = (await stored()) - before;
    if (h2.failed || added !== h2.succeeded) throw new Error(`h2load: ${h2.succeeded} creates answered, ${h2.failed} failed, ${added} stored`);
    out.grpcCreateOpsPerSecAt32H2load = h2.opsPerSec;
    out.grpcCreateP99MsAt32H2load = h2.p99Ms;
    const get = await closedLoop(3000, 1, (i) => c.get({ ...CMS, name: `c-${i % CREATES}` }));
    out.grpcGetP50Ms = pct(get.lat, 50);
    out.grpcGetP99Ms = pct(get.lat, 99);
    const w = await grpcWatchLatency(c, 'gwatch');
    out.grpcWatchDeliveries = w.fromAck.length;
    out.grpcWatchP50Ms = pct(w.fromAck, 50);
    out.grpcWatchP99Ms = pct(w.fromAck, 99);
    out.grpcWatchFromSendP99Ms = pct(w.fromSend, 99);
  } finally {
    c.close();
  }
  return out;
}

/** The same creates, clients, rate and concurrency against servers with nothing behind them. */
async function transportFloorFigures(): Promise<Figures> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '_transport-floor-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill('SIGTERM'));
  const out: Figures = {};
  try {
    const [line] = await Promise.race([
      (async () => {
        for await (const l of createInterface({ input: child.stdout! })) return [l];
        throw new Error('the transport floor server exited');
      })(),
      new Promise<never>((_, reject) => child.once('exit', () => reject(new Error('the transport floor server exited')))),
    ]);
    const srv = JSON.parse(line!) as { https: number; grpc: number; ca: string };
    const r: Rest = { base: `https://127.0.0.1:${srv.https}`, agent: restAgent(srv.ca), headers: { authorization: 'Bearer floor', accept: 'application/json' } };
    try {
      await warmUpRest((i) => call(r, 'POST', '/api/v1/namespaces/bench/configmaps', cm('bench', `warm-${i}`)));
      const create = await openLoop(CREATES, RATE, (i) => call(r, 'POST', '/api/v1/namespaces/bench/configmaps', cm('bench', `c-${i}`)));
      const thr = await closedLoop(CREATES, 32, (i) => call(r, 'POST', '/api/v1/namespaces/bench/configmaps', cm('bench', `t-${i}`)));
      Object.assign(out, { httpsFloorCreateP50Ms: pct(create.lat, 50), httpsFloorCreateP99Ms: pct(create.lat, 99), httpsFloorGeneratorLagP99Ms: pct(create.lag, 99), httpsFloorOpsPerSecAt32: thr.opsPerSec });
    } finally {
      await r.agent.close();
    }
    if (flags.grpc) {
      const c = connectSkiff({ address: `127.0.0.1:${srv.grpc}`, ca: srv.ca, token: 'floor', protoDir: join(import.meta.dirname, '..', 'proto') });
      try {
        const CMS = { version: 'v1', resource: 'configmaps', namespace: 'gbench' };
        await closedLoop(WARM_UP_OPS, 16, (i) => c.create(CMS, cm('gbench', `warm-${i}`)));
        const create = await openLoop(CREATES, RATE, (i) => c.create(CMS, cm('gbench', `c-${i}`)));
        const thr = await closedLoop(CREATES, 32, (i) => c.create(CMS, cm('gbench', `t-${i}`)));
        Object.assign(out, { grpcFloorCreateP50Ms: pct(create.lat, 50), grpcFloorCreateP99Ms: pct(create.lat, 99), grpcFloorGeneratorLagP99Ms: pct(create.lag, 99), grpcFloorOpsPerSecAt32: thr.opsPerSec });
        const lean = leanGrpcClient({ address: `127.0.0.1:${srv.grpc}`, ca: srv.ca, token: 'floor' });
        try {
          await closedLoop(WARM_UP_OPS, 16, (i) => lean.create(CMS, cm('gbench', `lwarm-${i}`)));
          const leanCreate = await openLoop(CREATES, RATE, (i) => lean.create(CMS, cm('gbench', `l-${i}`)));
          Object.assign(out, { grpcFloorCreateP50MsLeanClient: pct(leanCreate.lat, 50), grpcFloorCreateP99MsLeanClient: pct(leanCreate.lat, 99) });
        } finally {
          lean.close();
        }
        const h2 = h2loadCreates({ address: `127.0.0.1:${srv.grpc}`, token: 'floor', ref: CMS, object: generatedCm('gbench'), n: 2 * CREATES, concurrency: 32 });
        Object.assign(out, { grpcFloorOpsPerSecAt32H2load: h2.opsPerSec, grpcFloorP99MsAt32H2load: h2.p99Ms });
      } finally {
        c.close();
      }
    }
  } finally {
    child.kill('SIGTERM');
  }
  return out;
}

async function kernelFigures(): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-kernel-'));
  const nats = await startNatsServer({ dataDir: dir });
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  const k = await SkiffKernel.start({ nc, secretKey: Buffer.alloc(32, 1) });
  try {
    await k.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } });
    await closedLoop(WARM_UP_OPS, 16, (i) => k.create(CM, cm('b', `kwarm-${i}`))); // warm up (JIT), as the REST and gRPC runs do
    const create = await openLoop(CREATES, RATE, (i) => k.create(CM, cm('b', `k-${i}`)));
    const thr = await closedLoop(CREATES, 32, (i) => k.create(CM, cm('b', `kt-${i}`)));
    const get = await closedLoop(2000, 1, (i) => k.get(CM, 'b', `k-${i % CREATES}`));
    const list = await closedLoop(50, 1, () => k.list(CM, { namespace: 'b', limit: 500 }));
    // watch: W in-process watchers
    const lat: number[] = [];
    const sent = new Map<string, number>();
    const watches = Array.from({ length: WATCHERS }, () => k.watch(CM, { namespace: 'b', resourceVersion: String(k.cache.revision) }));
    const readers = watches.map(async (w) => {
      for await (const ev of w) {
        const t = sent.get(ev.object.metadata.name!);
        if (t !== undefined) lat.push(performance.now() - t);
      }
    });
    for (let i = 0; i < EVENTS; i++) {
      const name = `kw-${i}`;
      sent.set(name, performance.now());
      await k.create(CM, cm('b', name));
      await sleep(2);
    }
    const deadline = Date.now() + 10_000;
    while (lat.length < EVENTS * WATCHERS && Date.now() < deadline) await sleep(20);
    for (const w of watches) w.stop();
    await Promise.allSettled(readers);
    // the floor under every create: the store alone — a JetStream publish of an object-sized message
    // with the same expected-sequence guard, through the stock client, to the same nats-server
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BENCH_FLOOR', subjects: ['bench-floor.>'], max_msgs_per_subject: 1 });
    const js = jetstream(nc);
    const payload = new TextEncoder().encode(JSON.stringify(await k.get(CM, 'b', 'k-0'))); // a stored ConfigMap's size
    const put = (name: string) => js.publish(`bench-floor.b.${name}`, payload, { expect: { lastSubjectSequence: 0 } });
    await closedLoop(WARM_UP_OPS, 16, (i) => put(`warm-${i}`));
    const floor = await openLoop(CREATES, RATE, (i) => put(`o-${i}`));
    const floorThr = await closedLoop(CREATES, 32, (i) => put(`t-${i}`));
    return {
      storeFloorCreateP50Ms: pct(floor.lat, 50),
      storeFloorCreateP99Ms: pct(floor.lat, 99),
      storeFloorOpsPerSecAt32: floorThr.opsPerSec,
      kernelCreateP50Ms: pct(create.lat, 50),
      kernelCreateP99Ms: pct(create.lat, 99),
      kernelCreateOpsPerSec: thr.opsPerSec,
      kernelCreateP99MsAt32: pct(thr.lat, 99),
      kernelGetP50Ms: pct(get.lat, 50),
      kernelGetP99Ms: pct(get.lat, 99),
      kernelList500P99Ms: pct(list.lat, 99),
      kernelWatchP50Ms: pct(lat, 50),
      kernelWatchP99Ms: pct(lat, 99),
    };
  } finally {
    k.stop();
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'skiff-bench-api-'));
  const srv = await startServerProcess(home);
  const out: Figures = { bench: 'api', creates: CREATES, offeredRate: RATE, watchers: WATCHERS, serverReadyMs: srv.readyMs };
  try {
    await sleep(2000);
    out.loadAvg1m = Math.round(loadavg()[0]! * 100) / 100;
    out.idleRssMb = rssMb(srv.pid);
    const np = srv.natsPid();
    out.idleNatsRssMb = np ? rssMb(np) : undefined;
    out.idleRssWithNatsMb = (out.idleRssMb ?? 0) + (out.idleNatsRssMb ?? 0);
    const r = srv.rest;
    await call(r, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    await call(r, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watch' } });
    // warm up connections and JIT
    await warmUpRest((i) => call(r, 'POST', '/api/v1/namespaces/bench/configmaps', cm('bench', `warm-${i}`)));
    const rt0 = await serverRuntime(r);
    const create = await openLoop(CREATES, RATE, (i) => call(r, 'POST', '/api/v1/namespaces/bench/configmaps', cm('bench', `c-${i}`)));
    const rt1 = await serverRuntime(r);
    // the server during the open loop: its GC pauses and how long its event loop was held up at once
    out.createServerGcPauses = rt1.gcCount - rt0.gcCount;
    out.createServerGcMs = Math.round((rt1.gcSeconds - rt0.gcSeconds) * 1000);
    out.createServerGcOver10ms = rt1.gcOver10ms - rt0.gcOver10ms;
    out.createServerLoopLagP99Ms = Math.round(rt1.loopLagP99Ms * 10) / 10;
    out.createServerLoopLagMaxMs = Math.round(rt1.loopLagMaxMs * 10) / 10;
    out.createP50Ms = pct(create.lat, 50);
    out.createP99Ms = pct(create.lat, 99);
    // how late the load generator itself sent (part of createP99Ms, which counts from the due time)
    out.createGeneratorLagP99Ms = pct(create.lag, 99);
    out.createAchievedPerSec = create.opsPerSec;
    const seq = await closedLoop(2000, 1, (i) => call(r, 'POST', '/api/v1/namespaces/bench/configmaps', cm('bench', `s-${i}`)));
    out.createSequentialPerSec = seq.opsPerSec;
    out.createSequentialP99Ms = pct(seq.lat, 99);
    const cpu0 = cpuBudget(srv.pid, srv.natsPid());
    const thr = await closedLoop(CREATES, 32, (i) => call(r, 'POST', '/api/v1/namespaces/bench/configmaps', cm('bench', `t-${i}`)));
    // CPU per create with 32 in flight: the server's (the front end with the kernel), NATS's, this
    // load generator's, and the whole machine's (2 cores: 2,000,000 µs a second at most)
    const perCreate = cpuBudget(srv.pid, srv.natsPid()).since(cpu0, CREATES);
    out.createServerCpuUsPerOp = perCreate.server;
    out.createNatsCpuUsPerOpAt32 = perCreate.nats;
    out.createClientCpuUsPerOpAt32 = perCreate.client;
    out.createMachineCpuUsPerOpAt32 = perCreate.machine;
    out.createOpsPerSecAt32 = thr.opsPerSec;
    out.createP99MsAt32 = pct(thr.lat, 99);
    const get = await closedLoop(3000, 1, (i) => call(r, 'GET', `/api/v1/namespaces/bench/configmaps/c-${i % CREATES}`));
    out.getP50Ms = pct(get.lat, 50);
    out.getP99Ms = pct(get.lat, 99);
    const getThr = await closedLoop(10_000, 32, (i) => call(r, 'GET', `/api/v1/namespaces/bench/configmaps/c-${i % CREATES}`));
    out.getOpsPerSecAt32 = getThr.opsPerSec;
    const list = await closedLoop(50, 1, () => call(r, 'GET', '/api/v1/namespaces/bench/configmaps?limit=500'));
    out.list500P50Ms = pct(list.lat, 50);
    out.list500P99Ms = pct(list.lat, 99);
    const w = await restWatchLatency(r, 'watch', srv.ca);
    out.watchDeliveries = w.fromAck.length;
    out.watchDeliveriesExpected = EVENTS * WATCHERS;
    out.watchP50Ms = pct(w.fromAck, 50);
    out.watchP99Ms = pct(w.fromAck, 99);
    out.watchFanoutP50Ms = pct(w.fanout, 50);
    out.watchFanoutP99Ms = pct(w.fanout, 99);
    out.watchFromSendP50Ms = pct(w.fromSend, 50);
    out.watchFromSendP99Ms = pct(w.fromSend, 99);
    out.rssAfterLoadMb = rssMb(srv.pid);
    if (flags.grpc) Object.assign(out, await grpcFigures(home, srv.ca, r.headers.authorization!.replace(/^Bearer /, ''), srv.pid, srv.natsPid()));
  } finally {
    await srv.stop();
    rmSync(home, { recursive: true, force: true });
  }
  Object.assign(out, await transportFloorFigures());
  Object.assign(out, await kernelFigures());
  console.log(JSON.stringify(out));
  process.exit(0);
}

await main().catch((e) => {
  console.error(e);
  process.exit(1);
});
