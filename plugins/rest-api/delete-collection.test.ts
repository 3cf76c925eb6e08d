import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { errors } from '@skiff/kernel';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
let t: TestKernel;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  // a delete refused for any ConfigMap labelled refuse=yes
  t.kernel.registerAdmission({
    name: 'refuse',
    phase: 'validating',
    match: (r) => r.operation === 'DELETE' && r.object.metadata.labels?.refuse === 'yes',
    handle: () => {
      throw errors.forbidden('refused by test');
    },
  });
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

async function fill(ns: string, n: number, size: number, labels: (i: number) => object = () => ({})) {
  await t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (let i = 0; i < n; i += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, n - i) }, (_, j) =>
        t.kernel.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(i + j).padStart(3, '0')}`, namespace: ns, labels: { keep: 'no', ...labels(i + j) } }, data: { v: 'd'.repeat(size) } }),
      ),
    );
  }
}
const left = async (ns: string) => (await t.kernel.list(CM, { namespace: ns })).items.map((o) => o.metadata.name);

describe('deleteCollection', () => {
  it('deletes the matches and answers them as a list in order (held whole when small)', async () => {
    await fill('small', 6, 10, (i) => (i % 2 ? { keep: 'yes' } : {}));
    const res = await fetch(`${base}/api/v1/namespaces/small/configmaps?labelSelector=keep%3Dno`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).not.toBeNull();
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: expect.any(String) } });
    expect(body.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['cm-000', 'cm-002', 'cm-004']);
    expect(await left('small')).toEqual(['cm-001', 'cm-003', 'cm-005']);
  });

  it('streams a large answer (past 4 MB) with every deleted object', async () => {
    await fill('large', 48, 128 * 1024);
    const res = await fetch(`${base}/api/v1/namespaces/large/configmaps`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const body = (await res.json()) as any;
    expect(body.items).toHaveLength(48);
    expect(body.items[47].metadata.name).toBe('cm-047');
    expect(await left('large')).toEqual([]);
  });

  it('a failure before anything was sent is a Status', async () => {
    await fill('refused', 4, 10, (i) => (i === 2 ? { refuse: 'yes' } : {}));
    const res = await fetch(`${base}/api/v1/namespaces/refused/configmaps`, { method: 'DELETE' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ kind: 'Status', code: 403, message: expect.stringContaining('refused by test') });
    expect(await left('refused')).toEqual(['cm-002']);
  });

  it('a failure after the answer started cuts the connection: never a short list that looks whole', async () => {
    await fill('cut', 48, 128 * 1024, (i) => (i === 45 ? { refuse: 'yes' } : {}));
    const outcome = await fetch(`${base}/api/v1/namespaces/cut/configmaps`, { method: 'DELETE' }).then(
      async (res) => {
        try {
          return { status: res.status, body: JSON.parse(await res.text()) };
        } catch (e) {
          return { status: res.status, error: String(e) };
        }
      },
      (e) => ({ error: String(e) }),
    );
    expect(outcome).toHaveProperty('error');
    expect(outcome).not.toHaveProperty('body');
  });
});
