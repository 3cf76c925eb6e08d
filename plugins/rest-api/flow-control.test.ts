import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import type { KindInfo } from '@skiff/kernel';
import { classify, installFlowControl, type FlowControl } from './flow-control.ts';

const kind = (group: string, resource: string, namespaced: boolean): KindInfo => ({
  group, version: 'v1', kind: resource, resource, singular: resource, listKind: `${resource}List`, namespaced, shortNames: [], categories: [], subresources: [], verbs: [],
});
const KINDS = [kind('', 'configmaps', true), kind('', 'pods', true), kind('', 'namespaces', false), kind('apps', 'deployments', true)];

describe('classify', () => {
  const c = (method: string, url: string) => classify(method, url, Object.fromEntries(new URL(url, 'http://x').searchParams), KINDS);
  it('puts each request in its budget', () => {
    expect(c('GET', '/healthz')).toBe('exempt');
    expect(c('GET', '/readyz/ping')).toBe('exempt');
    expect(c('GET', '/api/v1')).toBe('read');
    expect(c('GET', '/api/v1/namespaces/a/configmaps/x')).toBe('read');
    expect(c('GET', '/api/v1/namespaces/a')).toBe('read');
    expect(c('GET', '/api/v1/configmaps')).toBe('list');
    expect(c('GET', '/api/v1/namespaces/a/configmaps')).toBe('list');
    expect(c('GET', '/api/v1/namespaces')).toBe('list');
    expect(c('GET', '/api/v1/configmaps?limit=500')).toBe('read');
    expect(c('GET', '/api/v1/configmaps?limit=501')).toBe('list');
    expect(c('GET', '/api/v1/configmaps?limit=0')).toBe('list');
    expect(c('GET', '/api/v1/configmaps?limit=10&continue=abc')).toBe('read');
    expect(c('GET', '/apis/apps/v1/deployments')).toBe('list');
    expect(c('GET', '/api/v1/configmaps?watch=1')).toBe('watch');
    expect(c('GET', '/api/v1/namespaces/a/pods?watch=true&resourceVersion=5')).toBe('watch');
    expect(c('GET', '/api/v1/watch/namespaces/a/pods')).toBe('watch');
    expect(c('GET', '/api/v1/namespaces/a/pods/p/log?follow=true')).toBe('long-running');
    expect(c('POST', '/api/v1/namespaces/a/pods/p/exec?command=sh')).toBe('long-running');
    expect(c('GET', '/api/v1/namespaces/a/pods/p/portforward')).toBe('long-running');
    expect(c('POST', '/api/v1/namespaces/a/configmaps')).toBe('write');
    expect(c('PUT', '/api/v1/namespaces/a/configmaps/x')).toBe('write');
    expect(c('PATCH', '/api/v1/namespaces/a/configmaps/x')).toBe('write');
    expect(c('DELETE', '/api/v1/namespaces/a/configmaps/x')).toBe('write');
    expect(c('DELETE', '/api/v1/namespaces/a/configmaps')).toBe('list');
    expect(c('GET', '/api/v1/namespaces/a/b/c/d/e/f')).toBe('read'); // the handler's 404
  });
});

describe('flow control on a server', () => {
  let app: FastifyInstance;
  let base: string;
  let fc: FlowControl;
  // requests held by the handler until the test lets them go
  const held: Array<() => void> = [];
  const release = () => held.splice(0).forEach((f) => f());

  beforeAll(async () => {
    app = Fastify();
    fc = installFlowControl(app, () => KINDS, {
      list: { concurrency: 2, perFlow: 1, queuePerFlow: 1, queueTotal: 4, maxWaitMs: 5_000, retryAfterSeconds: 3 },
      watchesPerFlow: 2,
    });
    app.route({
      method: ['GET', 'POST', 'DELETE'],
      url: '/api/*',
      handler: async (req, reply) => {
        if (req.method === 'POST') return { ok: 'write' };
        await new Promise<void>((r) => held.push(r));
        if ((req.query as { watch?: string }).watch) {
          reply.hijack();
          reply.raw.end('{}');
          return reply;
        }
        return { ok: 'list' };
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    release();
    await app?.close();
  });

  const get = (path: string, token: string, signal?: AbortSignal) => fetch(base + path, { headers: { authorization: `Bearer ${token}` }, signal });
  const settle = () => new Promise((r) => setTimeout(r, 100));

  it('holds a client to its share of the list budget, queues a little, then answers 429 with Retry-After; writes go on', async () => {
    const a1 = get('/api/v1/configmaps', 'a');
    await settle();
    const a2 = get('/api/v1/configmaps', 'a'); // waits: a holds its 1 seat
    await settle();
    const a3 = await get('/api/v1/configmaps', 'a'); // a's queue (1) is full
    expect(a3.status).toBe(429);
    expect(a3.headers.get('retry-after')).toBe('3');
    expect(await a3.json()).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 3 } });
    // another client still finds a seat
    const b1 = get('/api/v1/configmaps', 'b');
    await settle();
    expect(fc.limiters.list.stats()).toMatchObject({ running: 2, waiting: 1 });
    // writes have their own budget
    const w = await fetch(base + '/api/v1/namespaces/x/configmaps', { method: 'POST', headers: { authorization: 'Bearer a', 'content-type': 'application/json' }, body: '{}' });
    expect(await w.json()).toEqual({ ok: 'write' });
    release();
    expect((await a1).status).toBe(200);
    expect((await b1).status).toBe(200);
    await settle();
    release(); // a2 got the freed seat
    expect(await (await a2).json()).toEqual({ ok: 'list' });
    await settle();
    expect(fc.limiters.list.stats()).toEqual({ running: 0, waiting: 0, flows: 0 });
  });

  it('gives a seat back when its client goes away', async () => {
    const ac = new AbortController();
    const gone = get('/api/v1/configmaps', 'c', ac.signal).catch(() => 'aborted');
    await settle();
    expect(fc.limiters.list.stats().running).toBe(1);
    ac.abort();
    expect(await gone).toBe('aborted');
    await settle();
    expect(fc.limiters.list.stats().running).toBe(0);
    held.splice(0); // the handler of the gone request never finishes: its seat was given back anyway
  });

  it('caps the watches one client holds; others are unaffected', async () => {
    const w1 = get('/api/v1/pods?watch=1', 'a');
    get('/api/v1/pods?watch=1', 'a');
    await settle();
    const w3 = await get('/api/v1/pods?watch=1', 'a');
    expect(w3.status).toBe(429);
    expect(await w3.json()).toMatchObject({ reason: 'TooManyRequests' });
    const b = get('/api/v1/pods?watch=1', 'b');
    await settle();
    expect(fc.watches.count(`127.0.0.1|Bearer b`)).toBe(1);
    release();
    expect((await w1).status).toBe(200);
    expect((await b).status).toBe(200);
    await settle();
    expect(fc.watches.count(`127.0.0.1|Bearer a`)).toBe(0);
  });
});
