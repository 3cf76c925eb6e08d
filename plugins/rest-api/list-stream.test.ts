import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import type { KList, KObject } from '@skiff/kernel';
import { jsonHead, JsonArrayWriter, sendList, sendTable } from './list-stream.ts';
import { toTable } from './table.ts';

let app: FastifyInstance;
let base: string;
let current: () => KList;
let produced = 0;
/** what fastify logs at warn and above (a reply sent twice, a handler's undefined) */
const logs: string[] = [];

const cm = (i: number, size: number): KObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: `cm-${i}`, namespace: `ns-${i % 3}`, resourceVersion: String(100 + i), creationTimestamp: '2024-01-01T00:00:00Z', labels: { 'é/ü': '☃', n: String(i) } },
  data: { big: 'x'.repeat(size), quote: '"\\\n\u2028', emoji: '😀' },
});
const list = (n: number, size: number, extra: Partial<KList['metadata']> = {}): KList => ({
  apiVersion: 'v1',
  kind: 'ConfigMapList',
  metadata: { resourceVersion: '777', ...extra },
  items: Array.from({ length: n }, (_, i) => cm(i, size)),
});

beforeAll(async () => {
  app = Fastify({ logger: { level: 'warn', stream: { write: (l: string) => logs.push(l) } } });
  app.get('/list', (_req, reply) => sendList(reply, current()));
  app.get('/table', (_req, reply) => {
    const l = current();
    return sendTable(reply, 'configmaps', l.items, l.metadata, { includeObject: 'Object', apiVersion: 'v1' });
  });
  // an endless producer: how far it gets against a client that does not read shows the backpressure
  app.get('/endless', async (_req, reply) => {
    const w = new JsonArrayWriter(reply, jsonHead({ kind: 'X', items: [] }, 'items'));
    const item = JSON.stringify({ pad: 'y'.repeat(10_000) });
    produced = 0;
    while (produced < 1_000_000 && (await w.item(item))) produced++;
    return reply;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
});

describe('streamed lists', () => {
  it('jsonHead is the JSON up to the array', () => {
    expect(jsonHead({ a: 1, b: { c: 'd' }, items: [] }, 'items')).toBe('{"a":1,"b":{"c":"d"},"items":[');
    expect(() => jsonHead({ items: [], a: 1 }, 'items')).toThrow();
  });

  for (const [what, n, size] of [
    ['an empty list', 0, 0],
    ['a small list (sent whole)', 3, 10],
    ['a large list (streamed)', 400, 3000],
  ] as const) {
    it(`${what} is byte for byte JSON.stringify of the list`, async () => {
      const l = list(n, size, n > 0 ? { continue: 'abc', remainingItemCount: 5 } : {});
      current = () => l;
      const res = await fetch(base + '/list');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const body = await res.text();
      expect(body).toBe(JSON.stringify(l));
      // small answers keep a Content-Length; large ones are chunked
      if (body.length < 64 * 1024) expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
      else expect(res.headers.get('transfer-encoding')).toBe('chunked');
      expect(logs).toEqual([]);
    });
  }

  it('a Table is byte for byte JSON.stringify of toTable', async () => {
    const l = list(300, 500);
    current = () => l;
    const body = await (await fetch(base + '/table')).text();
    expect(body).toBe(JSON.stringify(toTable('configmaps', l.items, l.metadata, { includeObject: 'Object', apiVersion: 'v1' })));
    expect(JSON.parse(body).rows).toHaveLength(300);
  });

  it('waits for the socket to drain: a client that does not read holds back the producer', async () => {
    const req = http.get(base + '/endless');
    const res = await new Promise<http.IncomingMessage>((r) => req.once('response', r));
    res.pause();
    await new Promise((r) => setTimeout(r, 500));
    const held = produced;
    await new Promise((r) => setTimeout(r, 500));
    // socket buffers (kernel + node) take a few MB at most: far from the 10 GB the producer would write
    expect(held * 10_000).toBeLessThan(64 * 1024 * 1024);
    expect(produced).toBe(held);
    // reading again lets it go on
    let got = 0;
    res.on('data', (d: Buffer) => (got += d.length));
    res.resume();
    await new Promise((r) => setTimeout(r, 300));
    expect(produced).toBeGreaterThan(held);
    expect(got).toBeGreaterThan(0);
    req.destroy();
    // a client that goes away stops the producer
    await new Promise((r) => setTimeout(r, 300));
    const stopped = produced;
    await new Promise((r) => setTimeout(r, 300));
    expect(produced).toBe(stopped);
    expect(produced).toBeLessThan(1_000_000);
  });
});
