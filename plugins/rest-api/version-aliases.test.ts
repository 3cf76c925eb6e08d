// autoscaling/v1 HorizontalPodAutoscaler served over the stored autoscaling/v2 one, through the REST API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';

let t: TestKernel;
let app: FastifyInstance;
let base: string;
const V1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const V2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';

async function api(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

const hpaV1 = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'autoscaling/v1',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
});

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('autoscaling/v1 HorizontalPodAutoscaler', () => {
  it('is in discovery, v2 preferred', async () => {
    expect((await api('GET', '/apis/autoscaling')).body).toMatchObject({ versions: [{ version: 'v2' }, { version: 'v1' }], preferredVersion: { version: 'v2' } });
    const v1 = (await api('GET', '/apis/autoscaling/v1')).body;
    expect(v1.resources.map((r: { name: string }) => r.name)).toEqual(['horizontalpodautoscalers', 'horizontalpodautoscalers/status']);
  });

  it('creates through v1, stores v2, reads back in either version', async () => {
    const c = await api('POST', V1, hpaV1('web', { targetCPUUtilizationPercentage: 50 }));
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 }, status: { currentReplicas: 0, desiredReplicas: 0 } });
    const v2 = (await api('GET', `${V2}/web`)).body;
    expect(v2).toMatchObject({ apiVersion: 'autoscaling/v2', spec: { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] } });
    expect((await api('GET', `${V1}/web`)).body.metadata.resourceVersion).toBe(v2.metadata.resourceVersion);
    const list = (await api('GET', V1)).body;
    expect(list).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscalerList', items: [{ apiVersion: 'autoscaling/v1', metadata: { name: 'web' } }] });
    expect((await api('POST', V1, { ...hpaV1('bad'), kind: 'Deployment' })).status).toBe(400);
    const zero = (await api('POST', V1, hpaV1('zero', { maxReplicas: 0 }))).body;
    expect(zero.code).toBe(422);
    expect(zero.details.causes[0]).toEqual({ field: 'spec.maxReplicas', reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be greater than 0' });
  });

  it('patches and updates the v1 form; a stale resourceVersion is 409', async () => {
    const p = await api('PATCH', `${V1}/web`, { spec: { maxReplicas: 8 } }, 'application/merge-patch+json');
    expect(p.status).toBe(200);
    expect(p.body.spec).toMatchObject({ maxReplicas: 8, targetCPUUtilizationPercentage: 50 });
    const cur = (await api('GET', `${V1}/web`)).body;
    const u = await api('PUT', `${V1}/web`, { ...cur, spec: { ...cur.spec, targetCPUUtilizationPercentage: 70 } });
    expect(u.body.spec.targetCPUUtilizationPercentage).toBe(70);
    expect((await api('PUT', `${V1}/web`, cur)).status).toBe(409);
    // the status subresource, as an old v1 controller would write it
    const st = await api('PUT', `${V1}/web/status`, { ...u.body, status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 91 } });
    expect(st.body.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 91 });
    expect((await api('GET', `${V2}/web`)).body.status.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 91 } } }]);
  });

  it('keeps v2-only fields through a v1 read-modify-write', async () => {
    const v2 = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'rich' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        maxReplicas: 4,
        metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 30 } },
      },
    };
    expect((await api('POST', V2, v2)).status).toBe(201);
    const viaV1 = (await api('GET', `${V1}/rich`)).body;
    expect(viaV1.spec.targetCPUUtilizationPercentage).toBeUndefined();
    expect((await api('PUT', `${V1}/rich`, { ...viaV1, spec: { ...viaV1.spec, maxReplicas: 6 } })).status).toBe(200);
    const after = (await api('GET', `${V2}/rich`)).body;
    expect(after.spec.maxReplicas).toBe(6);
    expect(after.spec.metrics).toEqual(v2.spec.metrics);
    expect(after.spec.behavior.scaleDown).toMatchObject({ stabilizationWindowSeconds: 30, selectPolicy: 'Max' });
    expect(after.metadata.annotations).toBeUndefined();
  });

  it('watches in v1 and deletes', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${base}${V1}?watch=1&resourceVersion=0`, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('"rich"')) text += new TextDecoder().decode((await reader.read()).value);
    ctrl.abort();
    const first = JSON.parse(text.split('\n')[0]!);
    expect(first).toMatchObject({ type: 'ADDED', object: { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler' } });
    const d = await api('DELETE', `${V1}/rich`);
    expect(d.body).toMatchObject({ apiVersion: 'autoscaling/v1', metadata: { name: 'rich' } });
    expect((await api('GET', `${V2}/rich`)).status).toBe(404);
  });
});
