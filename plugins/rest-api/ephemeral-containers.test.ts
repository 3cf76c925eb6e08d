// pods/ephemeralcontainers (what `kubectl debug` writes): GET / PUT / PATCH as kube serves them —
// only spec.ephemeralContainers changes, only by additions, with 422 causes naming the field.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';
import { apiClient } from './test-client.ts';

const TOKEN = 'ephemeral-token';
let t: TestKernel;
let app: FastifyInstance;
let base = '';
const api = apiClient(() => base, TOKEN);
const SMP = { 'content-type': 'application/strategic-merge-patch+json' };
const path = (name: string) => `/api/v1/namespaces/default/pods/${name}/ephemeralcontainers`;
const debug = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: 'busybox', stdin: true, tty: true, targetContainerName: 'app', ...extra });

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, tokens: [TOKEN] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  for (const name of ['web', 'other']) {
    const r = await api('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('pods/ephemeralcontainers', () => {
  it('a strategic merge patch adds one (kubectl debug); GET answers the pod; the containers stay as they were', async () => {
    // as kubectl 1.32 sends it: empty resources are not "set"
    const r = await api('PATCH', path('web'), { spec: { ephemeralContainers: [debug('debugger-1', { resources: {}, terminationMessagePolicy: 'File' })] } }, SMP);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.kind).toBe('Pod');
    expect(r.body.spec.ephemeralContainers).toEqual([expect.objectContaining({ name: 'debugger-1', image: 'busybox', targetContainerName: 'app' })]);
    expect(r.body.spec.containers).toEqual([expect.objectContaining({ name: 'app', image: 'busybox' })]);
    const got = await api('GET', path('web'));
    expect(got.status).toBe(200);
    expect(got.body.spec.ephemeralContainers.map((c: { name: string }) => c.name)).toEqual(['debugger-1']);
  });

  it('a PUT adds another; whatever else the body changes is left as it was', async () => {
    const cur = (await api('GET', '/api/v1/namespaces/default/pods/web')).body;
    const body = { ...cur, metadata: { ...cur.metadata, labels: { sneaky: 'yes' } }, spec: { ...cur.spec, containers: [{ name: 'app', image: 'nginx' }], ephemeralContainers: [...cur.spec.ephemeralContainers, debug('debugger-2')] } };
    const r = await api('PUT', path('web'), body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.spec.ephemeralContainers.map((c: { name: string }) => c.name)).toEqual(['debugger-1', 'debugger-2']);
    expect(r.body.spec.containers[0].image).toBe('busybox');
    expect(r.body.metadata.labels).toBeUndefined();
  });

  it('422 with causes: removed, changed, duplicate names, no image, unknown target, forbidden fields', async () => {
    const cur = (await api('GET', '/api/v1/namespaces/default/pods/web')).body;
    const put = (ephemeralContainers: unknown[]) => api('PUT', path('web'), { ...cur, spec: { ...cur.spec, ephemeralContainers } });
    const causes = async (p: ReturnType<typeof put>) => {
      const r = await p;
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
      return r.body.details.causes as { reason: string; field: string; message: string }[];
    };
    const [d1, d2] = cur.spec.ephemeralContainers;
    expect(await causes(put([d1]))).toContainEqual(expect.objectContaining({ reason: 'FieldValueForbidden', field: 'spec.ephemeralContainers', message: expect.stringContaining('existing ephemeral containers "debugger-2" may not be removed') }));
    expect(await causes(put([d1, { ...d2, image: 'alpine' }]))).toContainEqual(expect.objectContaining({ reason: 'FieldValueForbidden', field: 'spec.ephemeralContainers[1]' }));
    expect(await causes(put([d1, d2, debug('app')]))).toContainEqual(expect.objectContaining({ reason: 'FieldValueDuplicate', field: 'spec.ephemeralContainers[2].name' }));
    expect(await causes(put([d1, d2, debug('x', { image: '' })]))).toContainEqual(expect.objectContaining({ reason: 'FieldValueRequired', field: 'spec.ephemeralContainers[2].image' }));
    expect(await causes(put([d1, d2, debug('x', { targetContainerName: 'nope' })]))).toContainEqual(expect.objectContaining({ reason: 'FieldValueNotFound', field: 'spec.ephemeralContainers[2].targetContainerName' }));
    const forbidden = await causes(put([d1, d2, debug('x', { ports: [{ containerPort: 80 }], readinessProbe: { exec: { command: ['true'] } }, resources: { limits: { cpu: '1' } } })]));
    expect(forbidden.map((c) => c.field)).toEqual(expect.arrayContaining(['spec.ephemeralContainers[2].ports', 'spec.ephemeralContainers[2].readinessProbe', 'spec.ephemeralContainers[2].resources']));
    expect(await causes(put([d1, d2, debug('Bad_Name')]))).toContainEqual(expect.objectContaining({ reason: 'FieldValueInvalid', field: 'spec.ephemeralContainers[2].name' }));
  });

  it('a pod that is not there: 404; other kinds have no such subresource', async () => {
    expect((await api('PATCH', path('absent'), { spec: { ephemeralContainers: [debug('d')] } }, SMP)).status).toBe(404);
    expect((await api('GET', '/api/v1/namespaces/default/services/x/ephemeralcontainers')).status).toBe(404);
  });
});
