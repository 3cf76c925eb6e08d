// Runs the fuzzer against a running server: fixtures, a bystander, the cases (a concurrency pool,
// slow clients in the background), the 5 KB-name bursts, and the checks afterwards (server alive,
// nothing partially stored, what was acknowledged is stored as sent).
import { request } from 'undici';
import { type FuzzCase, type Fixtures, type GenContext } from './case.ts';
import { CLASSES, pickClass, protectedNamespaceCases, type FuzzClass } from './classes.ts';
import { classify, storedMismatch, type Verdict } from './classify.ts';
import { KINDS, collectionOf } from './kinds.ts';
import { Rng } from './prng.ts';
import { newAgent, send, type Target } from './send.ts';
import { burstWithLongName, ensureNamespace, startBystander, type BurstResult, type BystanderResult } from './bystander.ts';

export interface FuzzOptions {
  url: string;
  token: string;
  ca: string;
  /** the server's pid: it must still be alive at the end */
  pid?: number;
  seed: number;
  count: number;
  concurrency?: number;
  /** per request (default 30 s: the machine is shared) */
  timeoutMs?: number;
  /** for the slow-client cases: the server must let go of them within this (default 90 s) */
  slowTimeoutMs?: number;
  /** only these classes */
  classes?: string[];
  /** only these case ids (the others are generated, not sent: same cases as the full run) */
  only?: number[];
  log?: (line: string) => void;
}

export interface ClassCounts {
  total: number;
  '2xx': number;
  '4xx': Record<string, number>;
  '5xx': number;
  nonStatus: number;
  timeouts: number;
  closed: number;
  other: number;
  failures: number;
}

export interface CaseFailure {
  id: number;
  cls: string;
  note: string;
  failure: string;
  repro: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  durationS: number;
  classes: Record<string, ClassCounts>;
  failures: CaseFailure[];
  /** failures grouped by what failed (class, case shape, failure shape) */
  groups: { count: number; cls: string; what: string; example: CaseFailure }[];
  bystander: BystanderResult;
  bursts: BurstResult[];
  serverAlive: boolean;
  /** objects present at the end whose create got a definite failure (a 4xx or 503, see definite()) */
  partiallyStored: string[];
  /** creates without a definite answer (timed out, closed, 504): what they named may or may not exist */
  maybeApplied: number;
  /** acknowledged creates missing or different at the end */
  lostOrChanged: string[];
  ok: boolean;
}

const BYSTANDER_NS = 'fuzz-bystander';
const FIXTURES: Fixtures = { configMap: 'fz-fixture-cm', bigConfigMap: 'fz-fixture-big', deployment: 'fz-fixture-dep', service: 'fz-fixture-svc', pod: 'fz-fixture-pod', secret: 'fz-fixture-secret' };
const LISTED = KINDS.map((k) => ({ kind: k, all: k.namespaced ? k.collection.replace('/namespaces/NS', '') : k.collection }));

/**
 * Whether an answer says for sure what became of a create: a 2xx (applied) or a 4xx / 503 (not
 * applied: the request was refused, or the store was not reached). A request we stopped waiting
 * for, a connection closed without an answer and a 504 (kube: "the request may have been applied")
 * say nothing: an object such a create named may or may not exist at the end, and either is right.
 */
export function definite(v: Verdict): boolean {
  if (v.bucket === '2xx' || v.bucket === '4xx') return true;
  if (v.bucket === 'non-status') return v.code !== undefined && v.code >= 400 && v.code < 500;
  return v.bucket === '5xx' && v.code === 503;
}

const emptyCounts = (): ClassCounts => ({ total: 0, '2xx': 0, '4xx': {}, '5xx': 0, nonStatus: 0, timeouts: 0, closed: 0, other: 0, failures: 0 });

function count(c: ClassCounts, v: Verdict): void {
  c.total++;
  if (v.bucket === '2xx') c['2xx']++;
  else if (v.bucket === '4xx') c['4xx'][String(v.code)] = (c['4xx'][String(v.code)] ?? 0) + 1;
  else if (v.bucket === '5xx') c['5xx']++;
  else if (v.bucket === 'non-status') c.nonStatus++;
  else if (v.bucket === 'timeout') c.timeouts++;
  else if (v.bucket === 'closed') c.closed++;
  else c.other++;
  if (v.failure) c.failures++;
}

/** method, path, headers and body of a case, as a reproduction (the token elided). */
export function repro(c: FuzzCase, token: string): string {
  const hide = (s: string) => s.split(token).join('<token>');
  const show = (b: Buffer | string) => {
    const s = Buffer.isBuffer(b) ? b.toString('latin1') : b;
    return `${JSON.stringify(hide(s.slice(0, 300)))}${s.length > 300 ? ` ... (${s.length} bytes)` : ''}`;
  };
  if (c.raw) {
    const all = Buffer.concat(c.raw.chunks);
    return `raw TLS bytes (${all.length}, ${c.raw.chunks.length} writes${c.raw.delayMs ? ` ${c.raw.delayMs} ms apart` : ''}, then ${c.raw.after === 'end' ? 'close' : 'wait'}): ${show(all)}`;
  }
  const h = Object.entries(c.headers).map(([k, v]) => `${k}: ${hide(v).slice(0, 80)}${v.length > 80 ? `...(${v.length})` : ''}`).join('; ');
  const p = c.path.length > 200 ? `${c.path.slice(0, 200)}... (${c.path.length} chars)` : c.path;
  return `${c.method} ${p} [${h}]${c.body !== undefined ? ` body ${show(c.body)}` : ''}`;
}

function shape(s: string): string {
  return s.replace(/fz[0-9a-z]+/g, 'fz*').replace(/\d+\/\d+/g, 'n/m').replace(/"(sent|got) .*$/, '');
}

async function getJson(t: Target, token: string, path: string): Promise<{ status: number; json: any }> {
  const res = await request(t.url + path, { dispatcher: t.agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const text = await res.body.text();
  try {
    return { status: res.statusCode, json: JSON.parse(text) };
  } catch {
    return { status: res.statusCode, json: text };
  }
}

async function listAll(t: Target, token: string): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  for (const { kind, all } of LISTED) {
    const r = await getJson(t, token, all);
    if (r.status !== 200) throw new Error(`LIST ${all}: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    for (const o of r.json.items) out.set(`${collectionOf(kind, o.metadata.namespace ?? '')}/${o.metadata.name}`, o);
  }
  return out;
}

/** The big fixture: 100,000 finalizers (~1 MB, a long list) and 2,000 data keys (~200 KB). Nothing deletes it. */
export function bigConfigMap(name: string, ns: string): unknown {
  const data: Record<string, string> = {};
  for (let i = 0; i < 2_000; i++) data[`k${i}`] = 'v'.repeat(90);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, finalizers: Array.from({ length: 100_000 }, () => 'fz.io/a') }, data };
}

async function post(t: Target, token: string, path: string, obj: unknown): Promise<void> {
  const res = await request(t.url + path, { method: 'POST', dispatcher: t.agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(obj) });
  const text = await res.body.text();
  if (res.statusCode !== 201 && res.statusCode !== 409) throw new Error(`POST ${path}: ${res.statusCode} ${text.slice(0, 200)}`);
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => {});
  const timeoutMs = o.timeoutMs ?? 30_000;
  const slowTimeoutMs = o.slowTimeoutMs ?? 90_000;
  const concurrency = o.concurrency ?? 16;
  const t: Target = { url: o.url, ca: o.ca, agent: newAgent(o.ca, concurrency + 4) };
  const honest = { url: o.url, token: o.token, agent: newAgent(o.ca, 8) };
  const ns = `fuzz-${o.seed.toString(16)}`;
  const t0 = performance.now();

  // fixtures: the objects the PUT and PATCH cases address
  await ensureNamespace(honest, ns);
  await ensureNamespace(honest, BYSTANDER_NS);
  for (const k of KINDS) {
    const name = { ConfigMap: FIXTURES.configMap, Secret: FIXTURES.secret, Pod: FIXTURES.pod, Deployment: FIXTURES.deployment, Service: FIXTURES.service }[k.kind];
    if (name) await post(t, o.token, collectionOf(k, ns), k.template(name, ns));
  }
  await post(t, o.token, `/api/v1/namespaces/${ns}/configmaps`, bigConfigMap(FIXTURES.bigConfigMap, ns));
  const baseline = await listAll(t, o.token);

  const bursts: BurstResult[] = [];
  bursts.push(await burstWithLongName(honest, BYSTANDER_NS, 0, 'get'));
  const bystander = startBystander(honest, BYSTANDER_NS);

  const classes: readonly FuzzClass[] = o.classes ? CLASSES.filter((c) => o.classes!.includes(c.name)) : CLASSES;
  if (classes.length === 0) throw new Error(`no such classes: ${o.classes}`);
  const rng = new Rng(o.seed);
  const only = o.only ? new Set(o.only) : undefined;
  const counts: Record<string, ClassCounts> = {};
  const failures: CaseFailure[] = [];
  const created = new Map<string, { sent: unknown; template: unknown; id: number }>();
  const attempted = new Map<string, number>(); // name -> case id of a create that carried it
  const acked = new Set<string>(); // names a POST answered with a 2xx (right or wrong)
  const maybeApplied = new Set<string>(); // names a POST carried that got no definite answer
  let nextId = 0;
  let requests = 0;

  const nextCase = (): FuzzCase | undefined => {
    while (nextId < o.count) {
      const id = nextId++;
      const cls = pickClass(rng.next(), classes);
      const ctx: GenContext = { rng, ns, token: o.token, fixtures: FIXTURES, id };
      const c: FuzzCase = { id, cls: cls.name, ...cls.gen(ctx) };
      if (!only || only.has(id)) return c;
    }
    return undefined;
  };

  const runCase = async (c: FuzzCase) => {
    const limit = c.background ? slowTimeoutMs : (c.timeoutMs ?? timeoutMs);
    const names: string[] = [];
    if (c.method === 'POST' && c.body !== undefined) {
      // the names a create carried (JSON or YAML), to say which case left an object behind
      const text = Buffer.isBuffer(c.body) ? c.body.toString('latin1') : c.body;
      for (const m of text.matchAll(/"?name"?:\s*"?(fz[0-9a-z]+)/g)) {
        attempted.set(m[1]!, c.id);
        names.push(m[1]!);
      }
    }
    let v: Verdict;
    try {
      v = classify(c, await send(t, c, limit), limit);
    } catch (e) {
      v = { bucket: 'other', failure: `fuzzer error: ${(e as Error).message}` };
    }
    requests++;
    // no definite answer (our timeout, a connection closed or reset, a 504): the create may have been applied
    if (!definite(v)) for (const n of names) maybeApplied.add(n);
    count((counts[c.cls] ??= emptyCounts()), v);
    if (v.failure) failures.push({ id: c.id, cls: c.cls, note: c.note, failure: v.failure, repro: repro(c, o.token) });
    if (v.bucket === '2xx' && c.method === 'POST' && typeof v.object?.metadata?.name === 'string') {
      acked.add(v.object.metadata.name);
      if (c.stored?.create && !v.failure) created.set(`${c.stored.collection}/${v.object.metadata.name}`, { sent: c.stored.sent, template: c.stored.template, id: c.id });
    }
  };

  const background: Promise<void>[] = [];
  const burstsDone: Promise<void>[] = [];
  const burstAt = [Math.floor(o.count / 3), Math.floor((2 * o.count) / 3)];
  let progress = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let c = nextCase(); c; c = nextCase()) {
        if (c.background) {
          background.push(runCase(c));
          continue;
        }
        if (burstAt.length && c.id >= burstAt[0]!) {
          const round = 3 - burstAt.length;
          burstAt.shift();
          burstsDone.push(burstWithLongName(honest, BYSTANDER_NS, round, round === 1 ? 'post' : 'namespace').then((b) => void bursts.push(b)));
        }
        await runCase(c);
        if (++progress % 1000 === 0) log(`[fuzz] ${progress} requests, ${failures.length} failures, ${Math.round((performance.now() - t0) / 1000)} s`);
      }
    }),
  );
  await Promise.all(burstsDone);
  const bys = await bystander.stop();
  log(`[fuzz] waiting for ${background.length} slow clients`);
  await Promise.all(background);

  // afterwards: the server is alive and answers; nothing half-stored; what was acknowledged is there
  let serverAlive = true;
  if (o.pid !== undefined) {
    try {
      process.kill(o.pid, 0);
    } catch {
      serverAlive = false;
    }
  }
  const partiallyStored: string[] = [];
  const lostOrChanged: string[] = [];
  try {
    const v = await getJson(t, o.token, '/version');
    if (v.status !== 200) serverAlive = false;
    const end = await listAll(t, o.token);
    for (const [key, obj] of end) {
      if (baseline.has(key) || created.has(key) || acked.has(obj.metadata.name) || maybeApplied.has(obj.metadata.name)) continue;
      if (key.includes(`/namespaces/${BYSTANDER_NS}/`) || obj.metadata.ownerReferences?.length || obj.metadata.name === 'kube-root-ca.crt') continue;
      const by = attempted.get(obj.metadata.name);
      partiallyStored.push(`${key}${by !== undefined ? ` (case ${by}: not answered 2xx)` : ''}`);
    }
    for (const [key, c] of created) {
      const obj = end.get(key);
      if (!obj) lostOrChanged.push(`${key} (case ${c.id}): created with a 2xx, missing at the end`);
      else {
        const bad = storedMismatch(c.sent, obj, c.template);
        if (bad) lostOrChanged.push(`${key} (case ${c.id}): stored differs from sent: ${bad}`);
      }
    }
    const have = new Set([...end.keys()]);
    for (const n of bys.created) if (!have.has(`/api/v1/namespaces/${BYSTANDER_NS}/configmaps/${n}`)) bys.failures.push(`created ${n} is missing at the end`);
  } catch (e) {
    serverAlive = false;
    lostOrChanged.push(`the checks afterwards failed: ${(e as Error).message}`);
  }
  // last, the cluster's own namespaces (see protectedNamespaceCases)
  for (const pc of protectedNamespaceCases(o.token)) await runCase({ id: nextId++, ...pc });
  await t.agent.close();
  await honest.agent.close();

  const groupMap = new Map<string, { count: number; cls: string; what: string; example: CaseFailure }>();
  for (const f of failures) {
    // one group per class and kind of failure (the note of its first case as the example)
    const what = shape(f.failure).slice(0, 90);
    const key = `${f.cls}|${f.note.startsWith('raw') ? '' : f.note.split(' ')[0]}|${what}`;
    const g = groupMap.get(key);
    if (g) g.count++;
    else groupMap.set(key, { count: 1, cls: f.cls, what, example: f });
  }
  const groups = [...groupMap.values()].sort((a, b) => b.count - a.count);
  const ok = failures.length === 0 && bys.failures.length === 0 && bursts.every((b) => b.failures.length === 0) && serverAlive && partiallyStored.length === 0 && lostOrChanged.length === 0;
  return { seed: o.seed, requests, durationS: Math.round((performance.now() - t0) / 100) / 10, classes: counts, failures, groups, bystander: bys, bursts, serverAlive, partiallyStored, maybeApplied: maybeApplied.size, lostOrChanged, ok };
}

/** The counts as a table, then the failure groups with one reproduction each. */
export function formatReport(r: FuzzReport, maxGroups = 60): string {
  const lines: string[] = [];
  lines.push(`fuzz seed ${r.seed}: ${r.requests} requests in ${r.durationS} s; ${r.failures.length} failures; server alive: ${r.serverAlive}`);
  lines.push(`${'class'.padEnd(22)} ${'total'.padStart(6)} ${'2xx'.padStart(5)} ${'5xx'.padStart(4)} ${'nonSt'.padStart(5)} ${'tmout'.padStart(5)} ${'closed'.padStart(6)} ${'fail'.padStart(5)}  4xx by code`);
  const tot = emptyCounts();
  for (const [name, c] of Object.entries(r.classes).sort()) {
    lines.push(`${name.padEnd(22)} ${String(c.total).padStart(6)} ${String(c['2xx']).padStart(5)} ${String(c['5xx']).padStart(4)} ${String(c.nonStatus).padStart(5)} ${String(c.timeouts).padStart(5)} ${String(c.closed).padStart(6)} ${String(c.failures).padStart(5)}  ${Object.entries(c['4xx']).map(([k, v]) => `${k}:${v}`).join(' ')}`);
    tot.total += c.total;
    tot['2xx'] += c['2xx'];
    tot['5xx'] += c['5xx'];
    tot.nonStatus += c.nonStatus;
    tot.timeouts += c.timeouts;
    tot.closed += c.closed;
    tot.other += c.other;
    tot.failures += c.failures;
    for (const [k, v] of Object.entries(c['4xx'])) tot['4xx'][k] = (tot['4xx'][k] ?? 0) + v;
  }
  lines.push(`${'TOTAL'.padEnd(22)} ${String(tot.total).padStart(6)} ${String(tot['2xx']).padStart(5)} ${String(tot['5xx']).padStart(4)} ${String(tot.nonStatus).padStart(5)} ${String(tot.timeouts).padStart(5)} ${String(tot.closed).padStart(6)} ${String(tot.failures).padStart(5)}  ${Object.entries(tot['4xx']).map(([k, v]) => `${k}:${v}`).join(' ')}`);
  lines.push(`bystander: ${r.bystander.requests} requests, ${r.bystander.failures.length} failures, p99 ${r.bystander.p99Ms} ms${r.bystander.failures.length ? ': ' + r.bystander.failures.slice(0, 5).join(' | ') : ''}`);
  for (const b of r.bursts) lines.push(`5 KB-name burst: hostile answered ${b.hostile.status}; ${b.failures.length} failures${b.failures.length ? ': ' + b.failures.slice(0, 4).join(' | ') : ''}`);
  if (r.maybeApplied) lines.push(`creates without a definite answer (timed out, closed, 504; may have been applied): ${r.maybeApplied} names`);
  if (r.partiallyStored.length) lines.push(`partially stored (${r.partiallyStored.length}): ${r.partiallyStored.slice(0, 10).join(', ')}`);
  if (r.lostOrChanged.length) lines.push(`lost or changed (${r.lostOrChanged.length}): ${r.lostOrChanged.slice(0, 10).join(' | ')}`);
  if (r.groups.length) lines.push(`failure groups (${r.groups.length}):`);
  for (const g of r.groups.slice(0, maxGroups)) lines.push(`  ${String(g.count).padStart(5)}x [${g.cls}] ${g.example.note.slice(0, 100)} -> ${g.example.failure.slice(0, 160)}\n         case ${g.example.id}: ${g.example.repro.slice(0, 400)}`);
  return lines.join('\n');
}
