import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';
import { httpServerOptions } from './http-timeouts.ts';

const TOKEN = 'timeouts-token';
const REQUEST_MS = 1500;
const HEADERS_MS = 1000;
const KEEPALIVE_MS = 1000;
const CHECK_MS = 200;
let t: TestKernel;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, tokens: [TOKEN], timeouts: { requestMs: REQUEST_MS, headersMs: HEADERS_MS, keepAliveMs: KEEPALIVE_MS, checkIntervalMs: CHECK_MS } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

/** A raw connection that sends `text` and then nothing; resolves with ms until the server closed it. */
function stall(text: string): Promise<{ ms: number; got: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let got = '';
    const s: Socket = connect(port, '127.0.0.1', () => s.write(text));
    s.on('data', (d) => (got += d));
    s.on('error', () => {});
    s.on('close', () => resolve({ ms: Date.now() - t0, got }));
  });
}

describe('HTTP timeouts', () => {
  it('defaults: bounds for headers and body, a check often enough to keep them', () => {
    const o = httpServerOptions();
    expect(o.node.headersTimeout).toBeLessThanOrEqual(o.node.requestTimeout);
    expect(o.node.requestTimeout).toBeGreaterThan(0);
    expect(o.node.connectionsCheckingInterval).toBeLessThanOrEqual(1000);
    expect(o.fastify.keepAliveTimeout).toBeGreaterThan(90_000); // longer than client-go's idle timeout
  });

  it('closes 50 connections that send half a body, and a watch opened before them outlives the bound', async () => {
    // the watch: headers complete, no body; it must stay open past the request timeout
    const events: string[] = [];
    const watchReq = http.get({ host: '127.0.0.1', port, path: '/api/v1/namespaces/default/configmaps?watch=1', headers: { authorization: `Bearer ${TOKEN}` } });
    const watchRes = await new Promise<http.IncomingMessage>((r) => watchReq.once('response', r));
    expect(watchRes.statusCode).toBe(200);
    let watchClosed = false;
    watchRes.on('data', (d: Buffer) => events.push(...d.toString().split('\n').filter(Boolean)));
    watchRes.on('close', () => (watchClosed = true));

    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'half' }, data: { a: 'x'.repeat(1000) } });
    const head = `POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const t0 = Date.now();
    const held = await Promise.all(Array.from({ length: 50 }, () => stall(head + body.slice(0, body.length / 2))));
    const slowest = Math.max(...held.map((h) => h.ms));
    // closed at the request timeout (plus the check interval), never served
    expect(Math.min(...held.map((h) => h.ms))).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect(slowest).toBeLessThan(REQUEST_MS + CHECK_MS + 1500);
    for (const h of held) expect(h.got === '' || /^HTTP\/1\.1 408/.test(h.got)).toBe(true);
    await expect(t.kernel.get({ group: '', version: 'v1', resource: 'configmaps' }, 'default', 'half')).rejects.toMatchObject({ code: 404 });

    // the watch is still open (well past the bound) and still delivers
    await new Promise((r) => setTimeout(r, Math.max(0, REQUEST_MS * 2 - (Date.now() - t0))));
    expect(watchClosed).toBe(false);
    await t.kernel.create({ group: '', version: 'v1', resource: 'configmaps' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: 'default' } });
    for (let i = 0; i < 100 && !events.some((e) => e.includes('"late"')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(events.some((e) => e.includes('"ADDED"') && e.includes('"late"'))).toBe(true);
    expect(watchClosed).toBe(false);
    watchReq.destroy();
  });

  it('closes a connection whose headers do not arrive in time', async () => {
    const r = await stall(`GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nAuthoriz`);
    expect(r.ms).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expect(r.ms).toBeLessThan(HEADERS_MS + CHECK_MS + 1500);
  });

  it('closes an idle keep-alive connection', async () => {
    const r = await stall(`GET /version HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(r.got).toMatch(/^HTTP\/1\.1 200/);
    expect(r.ms).toBeGreaterThanOrEqual(KEEPALIVE_MS - 50);
    // node 20 lets a keep-alive socket live a second past keepAliveTimeout
    expect(r.ms).toBeLessThan(KEEPALIVE_MS + 3000);
  });
});
