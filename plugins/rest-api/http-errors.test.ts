import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';

const TOKEN = 't';
let t: TestKernel;
let app: FastifyInstance;
let port: number;

/** One raw HTTP/1.1 exchange: what a client that is not fetch can send. */
function raw(request: string | Buffer): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      let body = rest.join('\r\n\r\n');
      if (/transfer-encoding: chunked/i.test(head)) body = body.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), headers: head, body });
    });
    s.end(request);
  });
}

const req = (line: string, headers: Record<string, string> = {}, body = '') =>
  `${line} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`;

function expectStatus(r: { status: number; body: string; headers: string }, code: number, reason?: string) {
  expect(r.status, r.body).toBe(code);
  expect(r.headers).toMatch(/content-type: application\/json/i);
  const s = JSON.parse(r.body);
  expect(s).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
  if (reason) expect(s.reason).toBe(reason);
  return s;
}

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, tokens: [TOKEN], bodyLimit: 64 * 1024 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('every error of the HTTP layer is a Status', () => {
  it('bad URL encoding: 400', async () => {
    // a bad escape in the query string: fastify's parser keeps it as it is; never a 500
    expect((await raw(req('GET /api/v1/namespaces/default/configmaps?labelSelector=%zz'))).status).toBeLessThan(500);
    expectStatus(await raw(req('GET /api/v1/namespaces/%zz')), 400, 'BadRequest');
    expectStatus(await raw(req('GET /api/v1/namespaces/default/configmaps/%E0%A4%A')), 400, 'BadRequest');
  });
  it('unknown and unsupported methods: 405', async () => {
    expectStatus(await raw(req('TRACE /api')), 405, 'MethodNotAllowed');
    expectStatus(await raw(req('OPTIONS /api/v1/namespaces')), 405, 'MethodNotAllowed');
    expectStatus(await raw(req('FOO /api')), 405, 'MethodNotAllowed');
    expectStatus(await raw(req('CONNECT 127.0.0.1:443')), 405, 'MethodNotAllowed');
  });
  it('headers too large: 431', async () => {
    expectStatus(await raw(req('GET /api', { 'X-Big': 'a'.repeat(20_000) })), 431, 'RequestHeaderFieldsTooLarge');
  });
  it('a malformed request line: 400', async () => {
    expectStatus(await raw('GET /api BADPROTO/1\r\n\r\n'), 400, 'BadRequest');
    expectStatus(await raw('GET /api HTTP/1.1\r\nBad Header Line\r\n\r\n'), 400, 'BadRequest');
  });
  it('body too large: 413 RequestEntityTooLarge', async () => {
    const big = JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(70 * 1024) } });
    const s = expectStatus(await raw(req('POST /api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json' }, big)), 413, 'RequestEntityTooLarge');
    expect(s.message).toMatch(/limit|large/i);
  });
  it('an unsupported Content-Encoding: 415', async () => {
    const s = expectStatus(await raw(req('POST /api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, '{"metadata":{"name":"gz"}}')), 415, 'UnsupportedMediaType');
    expect(s.message).toContain('gzip');
  });
  it('client errors fastify raises: bad content-type, a body on a method without one, a wrong Content-Length', async () => {
    expectStatus(await raw(req('POST /api/v1/namespaces/default/configmaps', { 'Content-Type': 'text/html' }, '<p>')), 415, 'UnsupportedMediaType');
    expectStatus(await raw(req('POST /api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json' }, '{"a":')), 400, 'BadRequest');
    const r = await raw(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{"a":1,"b":2}`);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expectStatus(r, r.status);
  });
  it('a path fastify does not route: 404 Status', async () => {
    expectStatus(await raw(req('GET /nothing/here')), 404, 'NotFound');
  });
});

describe('a request not received in time', () => {
  it('is answered 408 with a Status', async () => {
    const slow = await createApiServer({ kernel: t.kernel, tokens: [TOKEN], timeouts: { headersMs: 400, requestMs: 400, checkIntervalMs: 100 } });
    await slow.listen({ host: '127.0.0.1', port: 0 });
    try {
      const p = (slow.server.address() as { port: number }).port;
      const r = await new Promise<string>((resolve, reject) => {
        const s = connect(p, '127.0.0.1');
        const chunks: Buffer[] = [];
        s.on('data', (c) => chunks.push(c));
        s.on('error', reject);
        s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
        s.write('GET /api HTTP/1.1\r\nHost: x\r\n'); // and never the end of the headers
      });
      expect(r).toMatch(/^HTTP\/1\.1 408/);
      expect(JSON.parse(r.split('\r\n\r\n')[1]!)).toMatchObject({ kind: 'Status', code: 408 });
    } finally {
      await slow.close();
    }
  });
});
