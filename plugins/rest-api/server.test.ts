import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';
import { apiClient } from './test-client.ts';

const TOKEN = 'test-token';
let t: TestKernel;
let app: FastifyInstance;
let base: string;

const api = apiClient(() => base, TOKEN);

const cm = (name: string, data: Record<string, string> = { a: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

beforeAll(async () => {
  t = await startTestKernel({ eventsPerResource: 20 });
  app = await createApiServer({ kernel: t.kernel, tokens: [TOKEN] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('REST API', () => {
  it('serves discovery, version and health', async () => {
    expect((await api('GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const v1 = (await api('GET', '/api/v1')).body;
    expect(v1.kind).toBe('APIResourceList');
    expect(v1.resources).toContainEqual(expect.objectContaining({ name: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'] }));
    expect(v1.resources).toContainEqual(expect.objectContaining({ name: 'pods/status' }));
    const groups = (await api('GET', '/apis')).body;
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual(expect.arrayContaining(['apps', 'batch', 'coordination.k8s.io', 'plugins.skiff.io']));
    expect((await api('GET', '/apis/apps/v1')).body.resources).toContainEqual(expect.objectContaining({ name: 'deployments', shortNames: ['deploy'] }));
    expect((await api('GET', '/version', undefined, { authorization: '' })).body.major).toBe('1');
    expect((await api('GET', '/healthz', undefined, { authorization: '' })).body).toBe('ok');
    expect((await api('GET', '/openapi/v2')).status).toBe(200);
  });

  it('serves aggregated discovery (apidiscovery.k8s.io v2, v2beta1) when the Accept header asks for it first', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const core = await api('GET', '/api', undefined, { accept });
    expect(core.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;charset=utf-8');
    expect(core.headers.get('vary')).toBe('Accept');
    expect(core.body).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    expect(core.body.items.map((g: any) => g.metadata.name)).toEqual(['']);
    const pods = core.body.items[0].versions[0].resources.find((r: any) => r.resource === 'pods');
    expect(pods).toMatchObject({ responseKind: { group: '', version: 'v1', kind: 'Pod' }, scope: 'Namespaced', singularResource: 'pod', shortNames: ['po'] });
    expect(pods.subresources).toContainEqual({ subresource: 'status', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get', 'patch', 'update'] });
    const apis = await api('GET', '/apis', undefined, { accept: accept.split(',').slice(1).join(',') });
    expect(apis.body.apiVersion).toBe('apidiscovery.k8s.io/v2beta1');
    const apps = apis.body.items.find((g: any) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
    expect(deploy.subresources).toContainEqual({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
    expect(apis.body.items.map((g: any) => g.metadata.name)).not.toContain('');
    // plain JSON first, or no aggregated range: the unaggregated documents
    expect((await api('GET', '/apis', undefined, { accept: 'application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' })).body.kind).toBe('APIGroupList');
    expect((await api('GET', '/api', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList' })).body.kind).toBe('APIVersions');
  });

  it('answers 401 without a valid token', async () => {
    const r = await api('GET', '/api/v1/namespaces', undefined, { authorization: '' });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
    expect((await api('GET', '/api/v1/namespaces', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
  });

  it('creates, gets, lists, updates, patches and deletes at Kubernetes paths', async () => {
    const c = await api('POST', '/api/v1/namespaces/default/configmaps', cm('rest-1'));
    expect(c.status).toBe(201);
    expect(c.body.metadata.namespace).toBe('default');
    const g = await api('GET', '/api/v1/namespaces/default/configmaps/rest-1');
    expect(g.body).toEqual(c.body);
    const l = await api('GET', '/api/v1/namespaces/default/configmaps');
    expect(l.body.kind).toBe('ConfigMapList');
    expect(l.body.items.map((o: any) => o.metadata.name)).toContain('rest-1');
    const all = await api('GET', '/api/v1/configmaps');
    expect(all.body.items.length).toBeGreaterThanOrEqual(1);
    const u = await api('PUT', '/api/v1/namespaces/default/configmaps/rest-1', { ...c.body, data: { a: '2' } });
    expect(u.status).toBe(200);
    expect(u.body.data).toEqual({ a: '2' });
    const p = await api('PATCH', '/api/v1/namespaces/default/configmaps/rest-1', { data: { b: '3' } }, { 'content-type': 'application/merge-patch+json' });
    expect(p.body.data).toEqual({ a: '2', b: '3' });
    const jp = await api('PATCH', '/api/v1/namespaces/default/configmaps/rest-1', [{ op: 'remove', path: '/data/a' }], { 'content-type': 'application/json-patch+json' });
    expect(jp.body.data).toEqual({ b: '3' });
    const d = await api('DELETE', '/api/v1/namespaces/default/configmaps/rest-1');
    expect(d.status).toBe(200);
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/rest-1')).status).toBe(404);
  });

  it('answers 409 for a stale update and a duplicate create', async () => {
    const c = (await api('POST', '/api/v1/namespaces/default/configmaps', cm('rest-409'))).body;
    await api('PUT', '/api/v1/namespaces/default/configmaps/rest-409', { ...c, data: { a: 'new' } });
    const stale = await api('PUT', '/api/v1/namespaces/default/configmaps/rest-409', { ...c, data: { a: 'stale' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    const dup = await api('POST', '/api/v1/namespaces/default/configmaps', cm('rest-409'));
    expect(dup.body).toMatchObject({ reason: 'AlreadyExists', code: 409 });
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/rest-409')).body.data).toEqual({ a: 'new' });
  });

  it('answers 400 for malformed JSON and mismatched names, storing nothing', async () => {
    const bad = await api('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion": "v1", "kind": ');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect((await api('POST', '/api/v1/namespaces/default/configmaps', '[1,2]')).status).toBe(400);
    expect((await api('POST', '/api/v1/namespaces/default/configmaps', { ...cm('x'), metadata: { name: 'x', namespace: 'other' } })).status).toBe(400);
    expect((await api('POST', '/api/v1/namespaces/default/configmaps', { ...cm('x'), apiVersion: 'v2' })).status).toBe(400);
    expect((await api('PUT', '/api/v1/namespaces/default/configmaps/y', cm('x'))).status).toBe(400);
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/x')).status).toBe(404);
    expect((await api('GET', '/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(')).status).toBe(400);
    expect((await api('GET', '/api/v1/namespaces/default/configmaps?limit=abc')).status).toBe(400);
    const ct = await api('POST', '/api/v1/namespaces/default/configmaps', 'x', { 'content-type': 'text/plain' });
    expect(ct.status).toBe(415);
  });

  it('answers 422 with causes for an invalid object', async () => {
    const r = await api('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'c' }] } });
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    const fields = r.body.details.causes.map((c: { field: string }) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['metadata.name', 'spec.containers[0].image']));
  });

  it('answers 404 for unknown kinds, groups and paths', async () => {
    expect((await api('GET', '/api/v1/namespaces/default/widgets')).status).toBe(404);
    expect((await api('GET', '/apis/nope.example.com/v1/things')).status).toBe(404);
    expect((await api('GET', '/apis/nope.example.com')).status).toBe(404);
    const r = await api('GET', '/nothing/here');
    expect(r.body).toMatchObject({ kind: 'Status', code: 404 });
  });

  it('serves the status subresource separately from the main resource', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    const c = (await api('POST', '/api/v1/namespaces/default/pods', pod)).body;
    expect(c.status.phase).toBe('Pending');
    const s = await api('PUT', '/api/v1/namespaces/default/pods/p1/status', { ...c, status: { phase: 'Running' } });
    expect(s.body.status.phase).toBe('Running');
    const m = await api('PATCH', '/api/v1/namespaces/default/pods/p1', { status: { phase: 'Failed' } }, { 'content-type': 'application/merge-patch+json' });
    expect(m.body.status.phase).toBe('Running');
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/x/status')).status).toBe(404);
  });

  it('streams watch events as JSON lines and answers 410 below the compaction floor', async () => {
    const first = (await api('POST', '/api/v1/namespaces/default/configmaps', cm('wa-0'))).body;
    const ac = new AbortController();
    const res = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${first.metadata.resourceVersion}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await api('POST', '/api/v1/namespaces/default/configmaps', cm('wa-1'));
    let text = '';
    while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value);
    const ev = JSON.parse(text.split('\n')[0]!);
    expect(ev).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'wa-1' } } });
    ac.abort();
    for (let i = 2; i < 30; i++) await api('POST', '/api/v1/namespaces/default/configmaps', cm(`wa-${i}`));
    const old = await api('GET', `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${first.metadata.resourceVersion}`);
    const line = JSON.parse(String(old.body === undefined ? '' : typeof old.body === 'string' ? old.body.split('\n')[0] : JSON.stringify(old.body)));
    expect(line).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('returns server-side tables when asked, as kubectl does', async () => {
    await api('POST', '/api/v1/namespaces/default/configmaps', cm('tab', { x: '1', y: '2' }));
    const r = await api('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dtab', undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
    });
    expect(r.body.kind).toBe('Table');
    expect(r.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(r.body.rows[0].cells.slice(0, 2)).toEqual(['tab', 2]);
    expect(r.body.rows[0].object.metadata.name).toBe('tab');
  });

  it('honours dryRun: validates but stores nothing', async () => {
    const r = await api('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    expect(r.status).toBe(201);
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
  });
});

describe('pods/binding', () => {
  it('binds a pod once: nodeName and PodScheduled in one write; a second binding is a 409', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'to-bind' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    await api('POST', '/api/v1/namespaces/default/pods', pod);
    const b = await api('POST', '/api/v1/namespaces/default/pods/to-bind/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'to-bind' }, target: { kind: 'Node', name: 'node-1' } });
    expect(b.status).toBe(201);
    expect(b.body).toMatchObject({ kind: 'Status', status: 'Success' });
    const got = (await api('GET', '/api/v1/namespaces/default/pods/to-bind')).body;
    expect(got.spec.nodeName).toBe('node-1');
    expect(got.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const again = await api('POST', '/api/v1/namespaces/default/pods/to-bind/binding', { metadata: { name: 'to-bind' }, target: { name: 'node-2' } });
    expect(again.status).toBe(409);
    expect((await api('GET', '/api/v1/namespaces/default/pods/to-bind')).body.spec.nodeName).toBe('node-1');
    expect((await api('POST', '/api/v1/namespaces/default/pods/to-bind/binding', { metadata: { name: 'to-bind' } })).status).toBe(422);
    expect((await api('POST', '/api/v1/namespaces/default/pods/nope/binding', { metadata: { name: 'nope' }, target: { name: 'n' } })).status).toBe(404);
    expect((await api('GET', '/api/v1/namespaces/default/pods/to-bind/binding')).status).toBe(405);
  });
});
