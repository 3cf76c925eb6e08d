// Request options and bodies kube-apiserver refuses, refused the same way here (issue 11's fuzzer
// found each of them accepted): the query options of reads and writes, bodies whose shape cannot be
// an object, media types that do not fit the verb, verbs a kind does not serve.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';
import { apiClient } from './test-client.ts';

const TOKEN = 't';
let t: TestKernel;
let app: FastifyInstance;
let base: string;
const CMS = '/api/v1/namespaces/default/configmaps';

const api = apiClient(() => base, TOKEN);

function expectStatus(r: { status: number; body: any }, code: number, reason?: string) {
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(code);
  expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
  if (reason) expect(r.body.reason).toBe(reason);
  return r.body;
}

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, tokens: [TOKEN] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  expect((await api('POST', CMS, { metadata: { name: 'opt' }, data: { a: '1' } })).status).toBe(201);
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('bodies', () => {
  it('a PUT or POST whose metadata is not an object is a 400, nothing replaced', async () => {
    const before = (await api('GET', `${CMS}/opt`)).body;
    for (const meta of [true, -1, 0, 2 ** 53, 'x', ['a']]) {
      expectStatus(await api('PUT', `${CMS}/opt`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { a: 'changed' } }), 400, 'BadRequest');
      expectStatus(await api('POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { a: 'new' } }), 400, 'BadRequest');
    }
    expect((await api('GET', `${CMS}/opt`)).body).toEqual(before);
    // metadata null is unset, as kube decodes it: the name comes from the path
    expect((await api('PUT', `${CMS}/opt`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: null, data: { a: '1' } })).status).toBe(200);
  });

  it('a number past float64 (1e400) is a 400, in a pod security context or anywhere', async () => {
    const pod = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"big"},"spec":{"securityContext":{"runAsUser":1e400},"containers":[{"name":"c","image":"x"}]}}';
    expectStatus(await api('POST', '/api/v1/namespaces/default/pods', pod), 400, 'BadRequest');
    expectStatus(await api('PATCH', `${CMS}/opt`, '{"metadata":{"annotations":{"a":"b"}},"x":-1e999}', { 'content-type': 'application/merge-patch+json' }), 400);
    expectStatus(await api('POST', CMS, 'metadata: {name: inf}\nx: .inf\n', { 'content-type': 'application/yaml' }), 400);
    expect((await api('GET', '/api/v1/namespaces/default/pods/big')).status).toBe(404);
  });

  it('int64 fields of a pod are range-checked: runAsUser 2^64 is a 422', async () => {
    const pod = (sc: unknown, csc: unknown = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sc' }, spec: { securityContext: sc, containers: [{ name: 'c', image: 'x', securityContext: csc }] } });
    const r = expectStatus(await api('POST', '/api/v1/namespaces/default/pods?dryRun=All', pod({ runAsUser: 2 ** 64 })), 422, 'Invalid');
    expect(JSON.stringify(r.details.causes)).toContain('spec.securityContext.runAsUser');
    expectStatus(await api('POST', '/api/v1/namespaces/default/pods?dryRun=All', pod({}, { runAsGroup: 1.5 })), 422);
    expectStatus(await api('POST', '/api/v1/namespaces/default/pods?dryRun=All', pod({ supplementalGroups: [1, 2 ** 70] })), 422);
    expect((await api('POST', '/api/v1/namespaces/default/pods?dryRun=All', pod({ runAsUser: 1000, fsGroup: 2000 }, { runAsUser: 0 }))).status).toBe(201);
  });

  it('a create or replace with a patch media type is a 415', async () => {
    for (const ct of ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'Application/JSON-Patch+JSON']) {
      expectStatus(await api('POST', CMS, { metadata: { name: 'by-patch-type' } }, { 'content-type': ct }), 415, 'UnsupportedMediaType');
      expectStatus(await api('PUT', `${CMS}/opt`, { metadata: { name: 'opt' } }, { 'content-type': ct }), 415);
    }
    expect((await api('GET', `${CMS}/by-patch-type`)).status).toBe(404);
  });
});

describe('query options', () => {
  it('fieldManager: at most 128 bytes, printable characters only (422 on the options kind)', async () => {
    const long = 'm'.repeat(129);
    const r = expectStatus(await api('POST', `${CMS}?fieldManager=${long}`, { metadata: { name: 'fm-long' } }), 422, 'Invalid');
    expect(r.details).toMatchObject({ kind: 'CreateOptions', group: 'meta.k8s.io' });
    expect(r.details.causes[0]).toMatchObject({ field: 'fieldManager', reason: 'FieldValueTooLong' });
    expectStatus(await api('PUT', `${CMS}/opt?fieldManager=a%01b`, { metadata: { name: 'opt' } }), 422);
    expectStatus(await api('PATCH', `${CMS}/opt?fieldManager=a%7Fb`, { data: { b: '2' } }, { 'content-type': 'application/merge-patch+json' }), 422);
    expect((await api('GET', `${CMS}/fm-long`)).status).toBe(404);
    expect((await api('POST', `${CMS}?fieldManager=${'m'.repeat(128)}`, { metadata: { name: 'fm-ok' } })).status).toBe(201);
    expect((await api('POST', `${CMS}?fieldManager=k%C3%BCbe%20ctl`, { metadata: { name: 'fm-ok2' } })).status).toBe(201);
  });

  it('fieldValidation: Ignore, Warn or Strict (422 NotSupported otherwise)', async () => {
    const r = expectStatus(await api('POST', `${CMS}?fieldValidation=Bogus`, { metadata: { name: 'fv-bogus' } }), 422, 'Invalid');
    expect(r.details.causes[0]).toMatchObject({ field: 'fieldValidation', reason: 'FieldValueNotSupported' });
    expectStatus(await api('PATCH', `${CMS}/opt?fieldValidation=strict`, { data: { b: '2' } }, { 'content-type': 'application/merge-patch+json' }), 422);
    expect((await api('GET', `${CMS}/fv-bogus`)).status).toBe(404);
    for (const v of ['Ignore', 'Warn', 'Strict']) expect((await api('PUT', `${CMS}/opt?fieldValidation=${v}`, { metadata: { name: 'opt' }, data: { a: '1' } })).status).toBe(200);
  });

  it('a read at a resourceVersion that is not a number is a 400', async () => {
    expectStatus(await api('GET', `${CMS}/opt?resourceVersion=abc`), 400, 'BadRequest');
    expectStatus(await api('GET', `${CMS}?resourceVersion=-1`), 400);
    expect((await api('GET', `${CMS}/opt?resourceVersion=0`)).status).toBe(200);
  });

  it('resourceVersionMatch and sendInitialEvents as kube validates ListOptions (422)', async () => {
    for (const q of [
      'resourceVersionMatch=Bogus&resourceVersion=1',
      'resourceVersionMatch=NotOlderThan',
      'resourceVersionMatch=Exact&resourceVersion=0',
      'sendInitialEvents=true',
      'watch=true&sendInitialEvents=true',
      'watch=true&sendInitialEvents=false&resourceVersionMatch=Exact',
      'watch=true&resourceVersionMatch=NotOlderThan',
    ]) {
      const r = expectStatus(await api('GET', `${CMS}?${q}`), 422, 'Invalid');
      expect(r.details.kind, q).toBe('ListOptions');
    }
    expectStatus(await api('DELETE', `${CMS}?resourceVersionMatch=Bogus&resourceVersion=1`), 422);
    expect((await api('GET', `${CMS}?opt`)).status).toBe(200);
    expect((await api('GET', `${CMS}?resourceVersion=0&resourceVersionMatch=NotOlderThan`)).status).toBe(200);
    const w = await fetch(`${base}${CMS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(w.status).toBe(200);
    expect(await w.text()).toContain('"opt"');
  });
});

describe('verbs', () => {
  it('namespaces have no deletecollection: DELETE of the collection is a 405, discovery does not list the verb', async () => {
    expectStatus(await api('DELETE', '/api/v1/namespaces'), 405, 'MethodNotAllowed');
    expect((await api('GET', '/api/v1/namespaces/default')).status).toBe(200);
    const disc = (await api('GET', '/api/v1')).body.resources as { name: string; verbs: string[] }[];
    expect(disc.find((r) => r.name === 'namespaces')!.verbs).not.toContain('deletecollection');
    expect(disc.find((r) => r.name === 'configmaps')!.verbs).toContain('deletecollection');
  });
});
