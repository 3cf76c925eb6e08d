import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';

const TOKEN = 't';
let t: TestKernel;
let app: FastifyInstance;
let base: string;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, tokens: [TOKEN] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('names at the door', () => {
  it('a GET of a 5 KB name fails alone among 30 concurrent requests', async () => {
    const long = 'a'.repeat(5000);
    const reqs = Array.from({ length: 30 }, (_, i) => {
      if (i === 7) return api('GET', `/api/v1/namespaces/default/configmaps/${long}`);
      if (i % 2) return api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `door-${i}` }, data: { i: String(i) } });
      return api('GET', '/api/v1/namespaces/default/configmaps/door-none');
    });
    const res = await Promise.all(reqs);
    expect(res[7]!.status).toBe(404);
    expect(res[7]!.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    res.forEach((r, i) => {
      if (i === 7) return;
      expect(r.status, JSON.stringify(r.body)).toBe(i % 2 ? 201 : 404);
    });
  });
});
