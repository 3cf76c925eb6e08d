import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';
import { recentChunkStats } from './watch-stream.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
const COUNT = 320;
const VALUE = 'w'.repeat(64 * 1024);
let t: TestKernel;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  await t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'big' } });
  for (let i = 0; i < COUNT; i += 32) {
    await Promise.all(
      Array.from({ length: Math.min(32, COUNT - i) }, (_, j) => t.kernel.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i + j}`, namespace: 'big' }, data: { v: VALUE } })),
    );
  }
}, 60_000);
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('watch stream', () => {
  it('sends an initial state larger than any socket buffer to a slow reader, then live events', async () => {
    // ~21 MB of initial ADDED events; the reader does not read for a second
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/namespaces/big/configmaps?watch=1' });
    const res = await new Promise<http.IncomingMessage>((r) => req.once('response', r));
    res.pause();
    await new Promise((r) => setTimeout(r, 1000));
    let buf = '';
    const events: { type: string; object: { metadata: { name: string } } }[] = [];
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    });
    res.resume();
    for (let i = 0; i < 200 && events.length < COUNT; i++) await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.type === 'ERROR')).toEqual([]);
    expect(events.filter((e) => e.type === 'ADDED')).toHaveLength(COUNT);
    await t.kernel.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live', namespace: 'big' } });
    for (let i = 0; i < 100 && !events.some((e) => e.object.metadata.name === 'live'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(events.at(-1)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'live' } } });
    req.destroy();
    // the shared encoding cache keeps recent events only, not a copy of every object sent
    const s = recentChunkStats();
    expect(s.entries).toBeLessThanOrEqual(1024);
    expect(s.bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
  });

  it('encodes an event once for many watchers', async () => {
    const reqs = Array.from({ length: 5 }, () => http.get({ host: '127.0.0.1', port, path: '/api/v1/namespaces/big/configmaps?watch=1&resourceVersion=' + t.kernel.cache.revision }));
    const got = await Promise.all(reqs.map((r) => new Promise<http.IncomingMessage>((ok) => r.once('response', ok))));
    const lines = got.map(() => [] as string[]);
    got.forEach((res, i) => res.on('data', (d: Buffer) => lines[i]!.push(...d.toString().split('\n').filter(Boolean))));
    await new Promise((r) => setTimeout(r, 100));
    await t.kernel.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fan', namespace: 'big' }, data: { a: '1' } });
    for (let i = 0; i < 100 && lines.some((l) => l.length === 0); i++) await new Promise((r) => setTimeout(r, 20));
    for (const l of lines) expect(JSON.parse(l[0]!)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'fan' } } });
    expect(new Set(lines.map((l) => l[0])).size).toBe(1);
    reqs.forEach((r) => r.destroy());
  });
});

describe('a watch pipelined behind another request on one connection', () => {
  it('is answered after it, in order, and the server and other watchers live on', async () => {
    const net = await import('node:net');
    // another watcher of the namespace, which must keep getting events
    const other = http.get({ host: '127.0.0.1', port, path: '/api/v1/namespaces/big/configmaps?watch=1&resourceVersion=0' });
    const otherRes = await new Promise<http.IncomingMessage>((r) => other.once('response', r));
    let otherText = '';
    otherRes.setEncoding('utf8').on('data', (d: string) => (otherText += d));
    // a LIST (21 MB: its response is still going out) and a watch from now behind it, in one write
    const rv = (await t.kernel.list(CM, { namespace: 'big', limit: 1 })).metadata.resourceVersion;
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let text = '';
    sock.setEncoding('utf8').on('data', (d: string) => (text += d));
    sock.write(
      'GET /api/v1/namespaces/big/configmaps HTTP/1.1\r\nHost: x\r\n\r\n' +
        `GET /api/v1/namespaces/big/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=${rv} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    try {
    await t.kernel.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pipelined-1', namespace: 'big' } });
    for (let i = 0; i < 600 && !text.includes('"name":"pipelined-1"'); i++) await new Promise((r) => setTimeout(r, 25));
    await t.kernel.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pipelined-2', namespace: 'big' } });
    for (let i = 0; i < 600 && !(text.includes('"name":"pipelined-2"') && otherText.includes('"name":"pipelined-2"')); i++) await new Promise((r) => setTimeout(r, 25));
    // the list's answer first, then the watch's, whose events name both objects
    const second = text.indexOf('HTTP/1.1 200', 1);
    expect(text.startsWith('HTTP/1.1 200')).toBe(true);
    expect(second).toBeGreaterThan(0);
    expect(text.slice(second)).toContain(`{"type":"ADDED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"pipelined-1"`);
    expect(text.slice(second)).toContain('"name":"pipelined-1"');
    expect(text.slice(second)).toContain('"name":"pipelined-2"');
    expect(otherText).toContain('"name":"pipelined-2"');
    } finally {
      sock.destroy();
      other.destroy();
    }
  }, 30_000);
});
