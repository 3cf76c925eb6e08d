// An honest client beside the fuzzer: valid creates, gets and lists, every one of which must
// succeed; and the 30-concurrent-requests check around one 5 KB name.
import { request, type Agent } from 'undici';
import { isStatus } from './classify.ts';

export interface Honest {
  url: string;
  token: string;
  agent: Agent;
}

async function call(h: Honest, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 30_000): Promise<{ status: number; json: any; ms: number }> {
  const t0 = performance.now();
  const res = await request(h.url + path, {
    method,
    dispatcher: h.agent,
    headers: { authorization: `Bearer ${h.token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await res.body.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text.slice(0, 200);
  }
  return { status: res.statusCode, json, ms: performance.now() - t0 };
}

export async function ensureNamespace(h: Honest, ns: string): Promise<void> {
  const r = await call(h, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  if (r.status !== 201 && r.status !== 409) throw new Error(`creating namespace ${ns}: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
}

export interface BystanderResult {
  requests: number;
  failures: string[];
  created: string[];
  p99Ms: number;
}

/** Workers doing create -> get -> (sometimes) list until stopped. */
export function startBystander(h: Honest, ns: string, workers = 3): { stop: () => Promise<BystanderResult> } {
  let running = true;
  let n = 0;
  let total = 0;
  const failures: string[] = [];
  const created: string[] = [];
  const lat: number[] = [];
  const step = async (what: string, f: () => Promise<{ status: number; json: any; ms: number }>, want: number) => {
    total++;
    try {
      const r = await f();
      lat.push(r.ms);
      if (r.status !== want) failures.push(`${what}: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      return r;
    } catch (e) {
      failures.push(`${what}: ${(e as Error).message}`);
      return undefined;
    }
  };
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      const name = `bs-${w}-${n++}`;
      const c = await step(`POST ${name}`, () => call(h, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: name } }), 201);
      if (c?.status === 201) created.push(name);
      const g = await step(`GET ${name}`, () => call(h, 'GET', `/api/v1/namespaces/${ns}/configmaps/${name}`), 200);
      if (g?.status === 200 && g.json?.data?.n !== name) failures.push(`GET ${name}: data ${JSON.stringify(g.json?.data)}`);
      if (n % 10 === 0) await step(`LIST ${ns}`, () => call(h, 'GET', `/api/v1/namespaces/${ns}/configmaps?limit=5`), 200);
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      const s = [...lat].sort((a, b) => a - b);
      return { requests: total, failures, created, p99Ms: Math.round(s[Math.floor(s.length * 0.99)] ?? 0) };
    },
  };
}

export interface BurstResult {
  /** one line per request that did not get what it should */
  failures: string[];
  hostile: { status: number; note: string };
}

/**
 * 30 concurrent requests: 15 creates, 14 gets of an existing object, and one with a 5 KB name
 * (on the path, in the body, or as the namespace). Only that one may fail, with a 4xx Status; the
 * 15 creates are all stored.
 */
export async function burstWithLongName(h: Honest, ns: string, round: number, where: 'get' | 'post' | 'namespace'): Promise<BurstResult> {
  const long = 'l'.repeat(5000);
  const failures: string[] = [];
  const existing = `burst-fixture`;
  await call(h, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: existing }, data: { a: 'b' } });
  const names = Array.from({ length: 15 }, (_, i) => `burst-${round}-${i}`);
  const hostile =
    where === 'get'
      ? () => call(h, 'GET', `/api/v1/namespaces/${ns}/configmaps/${long}`)
      : where === 'post'
        ? () => call(h, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: long } })
        : () => call(h, 'GET', `/api/v1/namespaces/${long}/configmaps/x`);
  const reqs: (() => Promise<{ status: number; json: any }>)[] = [];
  for (let i = 0; i < 15; i++) reqs.push(() => call(h, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: names[i] }, data: { i: String(i) } }));
  for (let i = 0; i < 14; i++) reqs.push(() => call(h, 'GET', `/api/v1/namespaces/${ns}/configmaps/${existing}`));
  const hostileAt = 7 + (round % 15);
  reqs.splice(hostileAt, 0, hostile);
  const results = await Promise.all(reqs.map((f) => f().catch((e: Error) => ({ status: 0, json: e.message }))));
  let hostileAnswer = { status: 0, note: '' };
  results.forEach((r, i) => {
    if (i === hostileAt) {
      hostileAnswer = { status: r.status, note: JSON.stringify(r.json).slice(0, 160) };
      if (!(r.status >= 400 && r.status < 500 && isStatus(r.json, r.status))) failures.push(`the 5 KB ${where} request: ${r.status} ${hostileAnswer.note}`);
      return;
    }
    const want = i < hostileAt ? (i < 15 ? 201 : 200) : i - 1 < 15 ? 201 : 200;
    if (r.status !== want) failures.push(`request ${i} (want ${want}): ${r.status} ${JSON.stringify(r.json).slice(0, 160)}`);
  });
  const list = await call(h, 'GET', `/api/v1/namespaces/${ns}/configmaps`);
  const have = new Set<string>((list.json?.items ?? []).map((o: any) => o.metadata.name));
  for (const n of names) if (!have.has(n)) failures.push(`created ${n} is not stored`);
  return { failures, hostile: hostileAnswer };
}
