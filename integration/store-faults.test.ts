// `skiff server` when its embedded nats-server dies (SIGKILL) or stops answering (SIGSTOP), seen as
// users see it: /readyz fails within 2 s, nats-server is back within 5 s and writes succeed again,
// writes during the outage are answered 503 (never applied) or 504 (may have been) promptly,
// nothing acknowledged is lost, and a REST watch and an informer over the kernel bus end up with
// exactly what the store holds.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectKernel, type KernelBusClient } from '@skiff/kernel/bus';
import { SharedInformer } from '@skiff/client';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';
import { natsUrlOf, Rest, sleep } from './hollow-cluster.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
const NS = 'faults';

let home: string;
let s: SkiffProcess;
let rest: Rest;
let agent: Agent;
let nc: NatsConnection;
let bus: KernelBusClient;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-faults-'));
  s = await startSkiff(home);
  rest = new Rest(s);
  agent = new Agent({ connect: { ca: s.ca } });
  await rest.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  nc = await connect({ servers: await natsUrlOf(home), maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 2000, noAsyncTraces: true });
  bus = await connectKernel(nc);
}, 60_000);

afterAll(async () => {
  await bus?.close();
  await nc?.close();
  rest?.close();
  await agent?.destroy();
  await s?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

const natsPid = () => Number(readFileSync(join(home, 'data', 'nats', 'nats-server.pid'), 'utf8').trim());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`);
  } catch {
    return false;
  }
};

async function status(path: string, method = 'GET', body?: unknown): Promise<number> {
  const res = await request(`${s.url}${path}`, {
    method: method as 'GET',
    dispatcher: agent,
    headers: { authorization: `Bearer ${s.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    headersTimeout: 30_000,
  });
  await res.body.text();
  return res.statusCode;
}

interface Outcome {
  name: string;
  code: number;
  ms: number;
}

async function writer(prefix: string, stop: { done: boolean }): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let i = 0; !stop.done; i++) {
    const name = `${prefix}-${i}`;
    const t0 = Date.now();
    const code = await status(`/api/v1/namespaces/${NS}/configmaps`, 'POST', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } }).catch(() => 0);
    out.push({ name, code, ms: Date.now() - t0 });
    if (code !== 201) await sleep(25);
  }
  return out;
}

/** A REST watch of the namespace's ConfigMaps from `rv`: every event line, and whether it ended. */
function restWatch(rv: string) {
  const events: { type: string; name: string; rv: number; code?: number }[] = [];
  const state = { ended: false, why: '' };
  void (async () => {
    const res = await request(`${s.url}/api/v1/namespaces/${NS}/configmaps?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${s.token}` },
      bodyTimeout: 0,
    });
    let buf = '';
    for await (const chunk of res.body) {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (ev.type === 'BOOKMARK') continue;
        events.push({ type: ev.type, name: ev.object.metadata?.name, rv: Number(ev.object.metadata?.resourceVersion), code: ev.object.code });
      }
    }
    state.ended = true;
    state.why = 'the server ended the response';
  })().catch((err) => Object.assign(state, { ended: true, why: String(err) }));
  return { events, state };
}

async function storedNames(prefix: string): Promise<string[]> {
  const list = await rest.get(`/api/v1/namespaces/${NS}/configmaps`);
  return (list.items as { metadata: { name: string } }[]).map((o) => o.metadata.name).filter((n) => n.startsWith(prefix)).sort();
}

async function checkOutcomes(prefix: string, outcomes: Outcome[], watch: ReturnType<typeof restWatch>, informer: SharedInformer): Promise<void> {
  const stored = new Set(await storedNames(prefix));
  for (const o of outcomes) {
    if (o.code === 201) expect(stored.has(o.name), `${o.name} was acknowledged`).toBe(true);
    else if (o.code === 503) expect(stored.has(o.name), `${o.name} was answered 503`).toBe(false);
    else expect(o.code, `${o.name}: ${o.code} is not an answer to a store outage`).toBe(504);
  }
  const code = new Map(outcomes.map((o) => [o.name, o.code]));
  const evs = watch.events.filter((e) => e.name?.startsWith(prefix));
  const added = evs.filter((e) => e.type === 'ADDED');
  const revs = added.map((e) => e.rv);
  expect([...revs].sort((a, b) => a - b)).toEqual(revs);
  if (watch.state.ended) {
    console.log(`[store-faults] ${prefix}: the store came back behind the watch; it ended with 410 after ${added.length} objects`);
    // nats-server came back behind what the watch had already seen (a SIGKILL can lose the last
    // write, one never acknowledged): the watch ends with one 410 Gone so the client re-lists (the
    // informer below does), and what it saw that is not stored was never answered 201
    expect(watch.events.filter((e) => e.type === 'ERROR').map((e) => e.code), `the watch ended: ${watch.state.why}`).toEqual([410]);
    expect(watch.events.at(-1)?.type).toBe('ERROR');
    for (const e of added) if (!stored.has(e.name)) expect(code.get(e.name), `${e.name} was seen by the watch, is not stored`).not.toBe(201);
  } else {
    // the REST watch went on through the outage: every stored object once, in order, no error
    expect(watch.events.filter((e) => e.type === 'ERROR')).toEqual([]);
    expect(added.map((e) => e.name).sort()).toEqual([...stored].sort());
  }
  // the informer over the kernel bus resumed or re-listed: it holds exactly what is stored
  await expect
    .poll(() => informer.lister.list().map((o) => o.metadata.name!).filter((n) => n.startsWith(prefix)).sort(), { timeout: 15_000, interval: 200 })
    .toEqual([...stored].sort());
}

const count = (o: Outcome[]) => o.reduce<Record<number, number>>((c, x) => ((c[x.code] = (c[x.code] ?? 0) + 1), c), {});

describe('skiff server with its nats-server failing', () => {
  it('SIGKILL: /readyz fails within 2 s, nats-server is back within 5 s, writes succeed again, nothing acknowledged is lost, watches and informers go on', async () => {
    const informer = new SharedInformer(bus, CM, { namespace: NS });
    await informer.start();
    const rv = (await rest.get(`/api/v1/namespaces/${NS}/configmaps`)).metadata.resourceVersion;
    const watch = restWatch(rv);
    const stop = { done: false };
    const writers = Promise.all([writer('kill-a', stop), writer('kill-b', stop)]);
    await sleep(1000);
    const pid = natsPid();
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    let notReadyMs = -1;
    let backMs = -1;
    let readyAgainMs = -1;
    while (Date.now() - t0 < 20_000 && readyAgainMs < 0) {
      const code = await status('/readyz').catch(() => 0);
      const now = Date.now() - t0;
      if (code !== 200 && notReadyMs < 0) notReadyMs = now;
      if (backMs < 0 && existsSync(join(home, 'data', 'nats', 'nats-server.pid')) && natsPid() !== pid && alive(natsPid())) backMs = now;
      if (code === 200 && notReadyMs >= 0 && backMs >= 0) readyAgainMs = now;
      await sleep(50);
    }
    await sleep(1500);
    stop.done = true;
    const outcomes = (await writers).flat();
    const after = outcomes.filter((o) => o.code === 201).length;
    console.log(`[store-faults] SIGKILL: /readyz failed after ${notReadyMs} ms, nats-server back after ${backMs} ms, ready again after ${readyAgainMs} ms; answers`, count(outcomes));
    expect(notReadyMs).toBeGreaterThanOrEqual(0);
    expect(notReadyMs).toBeLessThan(2000);
    expect(backMs).toBeGreaterThanOrEqual(0);
    expect(backMs).toBeLessThan(5000);
    expect(readyAgainMs).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(10);
    // writes succeed again after the restart
    expect(outcomes.slice(-3).every((o) => o.code === 201)).toBe(true);
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(6000);
    await checkOutcomes('kill-', outcomes, watch, informer);
    informer.stop();
  }, 90_000);

  it('SIGSTOP for 15 s: writes get 503 or 504 promptly, /readyz fails within 2 s, no write answered 503 lands after SIGCONT', async () => {
    const informer = new SharedInformer(bus, CM, { namespace: NS });
    await informer.start();
    const rv = (await rest.get(`/api/v1/namespaces/${NS}/configmaps`)).metadata.resourceVersion;
    const watch = restWatch(rv);
    const stop = { done: false };
    const writers = Promise.all([writer('stop-a', stop), writer('stop-b', stop), writer('stop-c', stop)]);
    await sleep(1000);
    const pid = natsPid();
    process.kill(pid, 'SIGSTOP');
    const t0 = Date.now();
    let notReadyMs = -1;
    try {
      while (Date.now() - t0 < 15_000) {
        const code = await status('/readyz').catch(() => 0);
        if (code !== 200 && notReadyMs < 0) notReadyMs = Date.now() - t0;
        await sleep(100);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await expect.poll(() => status('/readyz').catch(() => 0), { timeout: 15_000, interval: 100 }).toBe(200);
    await sleep(1500);
    stop.done = true;
    const outcomes = (await writers).flat();
    const failed = outcomes.filter((o) => o.code !== 201);
    console.log(`[store-faults] SIGSTOP 15 s: /readyz failed after ${notReadyMs} ms; answers`, count(outcomes), 'slowest failure', Math.max(0, ...failed.map((o) => o.ms)), 'ms');
    expect(notReadyMs).toBeGreaterThanOrEqual(0);
    expect(notReadyMs).toBeLessThan(2000);
    expect(failed.length).toBeGreaterThan(0);
    expect(Math.max(...failed.map((o) => o.ms))).toBeLessThan(6000);
    expect(outcomes.slice(-3).every((o) => o.code === 201)).toBe(true);
    await checkOutcomes('stop-', outcomes, watch, informer);
    informer.stop();
  }, 90_000);
});
