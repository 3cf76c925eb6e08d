// Bounded memory on LIST against a real `skiff server`: fill it with ConfigMaps, run concurrent
// LISTs across all namespaces while another client keeps writing, and sample the server's RSS.
// Knobs (the CI default is smaller than issue 11's 100 MB x 8, and still 8 concurrent lists of a
// size whose whole-response copies would show):
//   SKIFF_LIST_MEMORY_MB      JSON in the store, MB (default 30; issue 11's figure: 100)
//   SKIFF_LIST_MEMORY_ITEM_KB size of one ConfigMap, KB (default 8)
//   SKIFF_LIST_MEMORY_LISTS   concurrent LISTs (default 8)
//   SKIFF_LIST_MEMORY_BIN     another build of skiff to measure (e.g. one from before streaming)
// The figures are printed as one JSON line starting with "list-memory:".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const MB = 1024 * 1024;
const TOTAL_MB = Number(process.env.SKIFF_LIST_MEMORY_MB ?? 30);
const ITEM_KB = Number(process.env.SKIFF_LIST_MEMORY_ITEM_KB ?? 8);
const LISTS = Number(process.env.SKIFF_LIST_MEMORY_LISTS ?? 8);
const NAMESPACES = 10;
const ITEMS = Math.ceil((TOTAL_MB * 1024) / ITEM_KB);
/** RSS the server may keep above its baseline once the lists are over (GC given a few seconds) */
const NEAR_MB = 64;

let home: string;
let srv: SkiffProcess;
let agent: Agent;
let headers: Record<string, string>;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function call(method: string, path: string, body?: unknown, dispatcher = agent): Promise<{ status: number; text: string }> {
  const res = await request(srv.url + path, {
    method: method as 'GET',
    dispatcher,
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (process.env.SKIFF_LIST_MEMORY_BIN) process.env.SKIFF_BIN = process.env.SKIFF_LIST_MEMORY_BIN;
  home = mkdtempSync(join(tmpdir(), 'skiff-list-memory-'));
  srv = await startSkiff(home);
  agent = new Agent({ connect: { ca: srv.ca }, connections: 64 });
  headers = { authorization: `Bearer ${srv.token}`, accept: 'application/json' };
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await srv?.kill('SIGTERM');
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('LIST memory', () => {
  it(`${LISTS} concurrent LISTs of ~${TOTAL_MB} MB keep the server's RSS bounded, and writes go on`, async () => {
    // fill: ITEMS ConfigMaps of ~ITEM_KB each over NAMESPACES namespaces, 32 POSTs at a time
    const t0 = Date.now();
    for (let n = 0; n < NAMESPACES; n++) expect((await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `lm-${n}` } })).status).toBe(201);
    expect((await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lm-writer' } })).status).toBe(201);
    const value = 'v'.repeat(ITEM_KB * 1024 - 300);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < ITEMS; i = next++) {
          const r = await call('POST', `/api/v1/namespaces/lm-${i % NAMESPACES}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { value } });
          if (r.status !== 201) throw new Error(`create cm-${i}: ${r.status} ${r.text.slice(0, 200)}`);
        }
      }),
    );
    const fillS = (Date.now() - t0) / 1000;

    // baseline: the filled server at rest
    await sleep(3000);
    const baseline = Math.min(...(await Promise.all([0, 1, 2].map(async (i) => (await sleep(i * 300), rssMb(srv.pid))))));

    // RSS sampled every 50 ms while the lists run
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, rssMb(srv.pid));
        await sleep(50);
      }
    })();

    // another client keeps writing (creates, then updates of what it created) until the lists end
    const writer = new Agent({ connect: { ca: srv.ca }, connections: 4 });
    const writeMs: number[] = [];
    const writeErrors: string[] = [];
    let writing = true;
    const writes = Promise.all(
      Array.from({ length: 2 }, async (_, w) => {
        for (let i = 0; writing; i++) {
          const name = `w${w}-${i % 50}`;
          const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } };
          const s = performance.now();
          const r = i < 50 ? await call('POST', `/api/v1/namespaces/lm-writer/configmaps`, body, writer) : await call('PUT', `/api/v1/namespaces/lm-writer/configmaps/${name}`, body, writer);
          writeMs.push(performance.now() - s);
          if (r.status >= 300) writeErrors.push(`${r.status} ${r.text.slice(0, 120)}`);
          await sleep(20);
        }
      }),
    );

    // the lists: each body kept as it came (checked after, so parsing does not compete with the server)
    const lists = await Promise.all(
      Array.from({ length: LISTS }, async () => {
        const s = performance.now();
        const res = await request(srv.url + '/api/v1/configmaps', { dispatcher: agent, headers });
        const chunks: Buffer[] = [];
        for await (const c of res.body) chunks.push(c as Buffer);
        return { status: res.statusCode, ms: performance.now() - s, chunks, bytes: chunks.reduce((n, c) => n + c.length, 0) };
      }),
    );
    writing = false;
    await writes;
    await writer.close();
    sampling = false;
    await sampler;

    // after: give GC a few seconds to bring RSS back near the baseline
    let after = rssMb(srv.pid);
    for (let i = 0; i < 40 && after > baseline + NEAR_MB; i++) {
      await sleep(250);
      after = rssMb(srv.pid);
    }

    const listMb = lists[0]!.bytes / MB;
    const figures = {
      items: ITEMS,
      itemKb: ITEM_KB,
      listMb: Number(listMb.toFixed(1)),
      lists: LISTS,
      fillS: Number(fillS.toFixed(1)),
      rssBaselineMb: Math.round(baseline),
      rssPeakMb: Math.round(peak),
      rssAfterMb: Math.round(after),
      listMs: lists.map((l) => Math.round(l.ms)),
      writes: writeMs.length,
      writeErrors: writeErrors.length,
      writeP50Ms: Number(pct(writeMs, 50).toFixed(1)),
      writeP99Ms: Number(pct(writeMs, 99).toFixed(1)),
      writeMaxMs: Number(Math.max(...writeMs).toFixed(1)),
    };
    console.log(`list-memory: ${JSON.stringify(figures)}`);

    // every list complete and well-formed
    for (const l of lists) {
      expect(l.status).toBe(200);
      const parsed = JSON.parse(Buffer.concat(l.chunks).toString('utf8'));
      l.chunks = [];
      expect(parsed).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: expect.any(String) } });
      expect(parsed.items.filter((o: { metadata: { namespace: string } }) => o.metadata.namespace.startsWith('lm-') && o.metadata.namespace !== 'lm-writer')).toHaveLength(ITEMS);
    }
    expect(writeErrors).toEqual([]);
    expect(writeMs.length).toBeGreaterThan(10);
    // memory: under 1 GB during; no copy of the response per list (whole-response serialization
    // cost about 3x the list's size per concurrent list); near the baseline after
    expect(peak).toBeLessThan(1024);
    expect(peak - baseline).toBeLessThan(Math.max(150, listMb * 1.5));
    expect(after).toBeLessThan(baseline + NEAR_MB);
    // writes kept being served while the lists ran (generous: 2 shared cores)
    expect(pct(writeMs, 99)).toBeLessThan(2000);
  }, 240_000);
});
