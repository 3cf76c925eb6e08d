import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';
import { apiClient } from './test-client.ts';
import { MAX_BODY_DEPTH } from '@skiff/kernel';
import { kindsFromCRD } from '../../kernel/schema/builtin/crd-kinds.ts';

const TOKEN = 't';
let t: TestKernel;
let app: FastifyInstance;
let base: string;

const api = apiClient(() => base, TOKEN);

const widgetCRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.door.example.com' },
  spec: {
    group: 'door.example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
      },
    ],
  },
};
const WIDGETS = '/apis/door.example.com/v1/namespaces/default/widgets';
/** a Widget whose whole body is `depth` levels deep (the root, then `depth - 1` nested objects in spec) */
function widget(name: string, depth: number): Record<string, unknown> {
  let inner: unknown = 1;
  for (let i = 0; i < depth - 1; i++) inner = { n: inner };
  return { apiVersion: 'door.example.com/v1', kind: 'Widget', metadata: { name }, spec: inner };
}
const deepJson = (d: number) => '['.repeat(d) + ']'.repeat(d); // 2 MB at 10^6, under the body limit

beforeAll(async () => {
  t = await startTestKernel();
  for (const d of kindsFromCRD(widgetCRD as never)) t.kernel.registerKind(d);
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

describe('nesting depth at the door', () => {
  it('serves an object exactly at the limit through create, get, every patch, list and watch', async () => {
    const w = widget('at-limit', MAX_BODY_DEPTH);
    const c = await api('POST', WIDGETS, w);
    expect(c.status, JSON.stringify(c.body).slice(0, 300)).toBe(201);
    expect((await api('GET', `${WIDGETS}/at-limit`)).body.spec).toEqual(w.spec);
    const merge = await api('PATCH', `${WIDGETS}/at-limit`, { metadata: { labels: { a: 'b' } } }, { 'content-type': 'application/merge-patch+json' });
    expect(merge.status).toBe(200);
    const smp = await api('PATCH', `${WIDGETS}/at-limit`, { metadata: { labels: { c: 'd' } } }, { 'content-type': 'application/strategic-merge-patch+json' });
    expect(smp.status).toBe(200);
    const jp = await api('PATCH', `${WIDGETS}/at-limit`, [{ op: 'add', path: '/metadata/labels/e', value: 'f' }], { 'content-type': 'application/json-patch+json' });
    expect(jp.status).toBe(200);
    expect(jp.body.metadata.labels).toEqual({ a: 'b', c: 'd', e: 'f' });
    const l = await api('GET', WIDGETS);
    expect(l.body.items.map((o: any) => o.metadata.name)).toContain('at-limit');
    const ctl = new AbortController();
    const res = await fetch(`${base}${WIDGETS}?watch=1&resourceVersion=0&timeoutSeconds=2`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: ctl.signal });
    const text = await res.text();
    expect(text).toContain('"at-limit"');
  });

  it('refuses one level more, and 10^5 and 10^6 levels, with 400 and stores nothing', async () => {
    const over = await api('POST', WIDGETS, widget('over', MAX_BODY_DEPTH + 1));
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    for (const d of [1e5, 1e6]) {
      const r = await api('POST', WIDGETS, deepJson(d));
      expect(r.status).toBe(400);
      expect(r.body.kind).toBe('Status');
      const y = await api('PATCH', `${WIDGETS}/at-limit`, '['.repeat(d) + ']'.repeat(d), { 'content-type': 'application/apply-patch+yaml' });
      expect(y.status).toBe(400);
      expect(y.body.kind).toBe('Status');
    }
    expect((await api('GET', `${WIDGETS}/over`)).status).toBe(404);
  });

  it('refuses recursive YAML aliases and billion laughs with 400', async () => {
    const rec = await api('PATCH', `${WIDGETS}/yaml-1`, 'apiVersion: door.example.com/v1\nkind: Widget\nmetadata: {name: yaml-1}\nspec: &a {x: *a}\n', { 'content-type': 'application/apply-patch+yaml' });
    expect(rec.status).toBe(400);
    let s = 'apiVersion: door.example.com/v1\nkind: Widget\nmetadata: {name: yaml-2}\nspec:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let prev = 'a';
    for (const n of 'bcdefghi') {
      s += `  ${n}: &${n} [${Array(9).fill('*' + prev).join(',')}]\n`;
      prev = n;
    }
    const laughs = await api('PATCH', `${WIDGETS}/yaml-2`, s, { 'content-type': 'application/apply-patch+yaml' });
    expect(laughs.status).toBe(400);
    expect(laughs.body.message).toContain('aliases');
    expect((await api('GET', `${WIDGETS}/yaml-1`)).status).toBe(404);
    expect((await api('GET', `${WIDGETS}/yaml-2`)).status).toBe(404);
  });
});

describe('integer query parameters', () => {
  it('answers 400 for negative, non-integer or oversized timeoutSeconds, limit and gracePeriodSeconds', async () => {
    const t0 = Date.now();
    const cases = [
      ['GET', '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=-5'],
      ['GET', '/api/v1/namespaces/default/configmaps?timeoutSeconds=1.5'],
      ['GET', '/api/v1/namespaces/default/configmaps?limit=-1'],
      ['GET', '/api/v1/namespaces/default/configmaps?limit=abc'],
      ['GET', '/api/v1/namespaces/default/configmaps?limit=9223372036854775808'],
      ['DELETE', '/api/v1/namespaces/default/configmaps/door-none?gracePeriodSeconds=-1'],
      ['GET', '/api/v1/namespaces/default/configmaps?resourceVersion=99999999999999999999'],
      ['GET', '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=99999999999999999999'],
    ] as const;
    for (const [m, p] of cases) {
      const r = await api(m, p);
      expect(r.status, p).toBe(400);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    }
    expect(Date.now() - t0).toBeLessThan(5_000); // no waiting for a revision that never comes
    expect((await api('GET', '/api/v1/namespaces/default/configmaps?limit=9223372036854775807')).status).toBe(200);
  });
  it('answers 400 for a negative gracePeriodSeconds in a DeleteOptions body', async () => {
    await api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'grace' } });
    const r = await api('DELETE', '/api/v1/namespaces/default/configmaps/grace', { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: -3 });
    expect(r.status).toBe(400);
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/grace')).status).toBe(200);
  });
  it('ends a watch at timeoutSeconds', async () => {
    const t0 = Date.now();
    const res = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    await res.text();
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('long names everywhere, among other requests in flight', () => {
  it('answers each with a 4xx Status and disturbs nobody else', async () => {
    const long = 'b'.repeat(5000);
    const cm = '/api/v1/namespaces/default/configmaps';
    const hostile: [string, string, unknown?, Record<string, string>?][] = [
      ['POST', cm, { metadata: { name: long } }],
      ['POST', cm, { metadata: { name: 'x', namespace: long } }],
      ['POST', `/api/v1/namespaces/${long}/configmaps`, { metadata: { name: 'x' } }],
      ['PUT', `${cm}/${long}`, { metadata: { name: long } }],
      ['PATCH', `${cm}/${long}`, { data: { a: 'b' } }, { 'content-type': 'application/merge-patch+json' }],
      ['PATCH', `${cm}/${long}`, 'data: {a: b}', { 'content-type': 'application/apply-patch+yaml' }],
      ['DELETE', `${cm}/${long}`],
      ['GET', `/api/v1/namespaces/${long}`],
      ['GET', `/api/v1/namespaces/${long}/configmaps/x`],
      ['POST', `/api/v1/namespaces/default/pods/${long}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: long } }],
      ['POST', `/api/v1/namespaces/default/pods/${long}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: long }, target: { kind: 'Node', name: 'n' } }],
      ['GET', `/apis/apps/v1/namespaces/default/deployments/${long}/scale`],
    ];
    const good = Array.from({ length: 20 }, (_, i) => api('POST', cm, { metadata: { name: `burst-${i}` } }));
    const bad = hostile.map(([m, p, b, h]) => api(m, p, b, h));
    const [goodRes, badRes] = await Promise.all([Promise.all(good), Promise.all(bad)]);
    badRes.forEach((r, i) => {
      const what = `${hostile[i]![0]} ${hostile[i]![1].slice(0, 60)}`;
      expect(r.status, what).toBeGreaterThanOrEqual(400);
      expect(r.status, `${what}: ${JSON.stringify(r.body).slice(0, 300)}`).toBeLessThan(500);
      expect(r.body.kind, what).toBe('Status');
    });
    goodRes.forEach((r) => expect(r.status).toBe(201));
    expect(t.nc.isClosed()).toBe(false);
  });
});
