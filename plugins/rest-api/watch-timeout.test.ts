import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';
import { defaultWatchSeconds } from './resources.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
let t: TestKernel;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, minRequestTimeoutSeconds: 1 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  await t.kernel.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } });
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

/** A watch's lines until the server ends the response. */
function watchToEnd(path: string): Promise<{ status: number; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.once('end', () => resolve({ status: res.statusCode!, lines: body.split('\n').filter(Boolean) }));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
}

describe('watches the server ends (kube-apiserver --min-request-timeout)', () => {
  it('picks a time between the minimum and twice it', () => {
    expect(defaultWatchSeconds(1800, () => 0)).toBe(1800);
    expect(defaultWatchSeconds(1800, () => 0.5)).toBe(2700);
    expect(defaultWatchSeconds(1800, () => 0.999999)).toBe(3599);
  });

  it('ends a watch without timeoutSeconds (and with timeoutSeconds=0) after sending its events', async () => {
    for (const q of ['watch=1', 'watch=1&timeoutSeconds=0']) {
      const r = await watchToEnd(`/api/v1/namespaces/default/configmaps?${q}`);
      expect(r.status).toBe(200);
      expect(r.lines.map((l) => JSON.parse(l))).toMatchObject([{ type: 'ADDED', object: { metadata: { name: 'a' } } }]);
    }
  });

  it('still refuses a negative timeoutSeconds', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=-1`);
    expect(r.status).toBe(400);
  });
});
