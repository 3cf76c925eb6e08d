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
