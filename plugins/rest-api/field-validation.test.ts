import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { builtinKinds } from '../../kernel/schema/builtin/mod.ts';
import { toKindInfo } from '../../kernel/schema/registry.ts';
import { jsonDuplicateFields, yamlDuplicateFields } from './body-parsers.ts';
import { unknownFields, warningHeader } from './field-validation.ts';
import { buildDocuments } from './openapi/documents.ts';
import { createApiServer } from './server.ts';
import { apiClient } from './test-client.ts';

const defs = builtinKinds();
const { model } = buildDocuments('test', defs.map(toKindInfo), defs.map((d) => d.schema));
const deployment = model.definitions['io.k8s.api.apps.v1.Deployment']!;
const unknown = (v: unknown, mode?: 'object' | 'merge' | 'strategic') => unknownFields(model.definitions, deployment, v, mode);

describe('unknown fields', () => {
  it('are the fields a closed object does not declare, with their paths', () => {
    expect(unknown({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', labels: { x: 'y' }, colour: 1 }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'c' }, { name: 'd', bogus: true }] } } }, extra: 1 })).toEqual([
      'metadata.colour',
      'spec.template.spec.containers[1].bogus',
      'extra',
    ]);
  });
  it('are not looked for in maps and open objects', () => {
    expect(unknown({ metadata: { annotations: { anything: 'x' } }, spec: { template: { spec: { containers: [{ env: [{ valueFrom: { whatever: {} } }], resources: { limits: { 'example.com/gpu': 1 } } }] } } } })).toEqual([]);
  });
  it('in patches: a null deletes, and strategic directives are not fields', () => {
    expect(unknown({ spec: { gone: null, $retainKeys: ['x'], template: { spec: { $setElementOrder: 1, 'containers': [{ name: 'c', $patch: 'delete' }] } } } }, 'strategic')).toEqual([]);
    expect(unknown({ spec: { gone: null, $retainKeys: ['x'] } }, 'merge')).toEqual(['spec.$retainKeys']);
  });
});

describe('duplicate fields', () => {
  it('are found in JSON and YAML bodies with their paths', () => {
    expect(jsonDuplicateFields('{"spec":{"replicas":1,"replicas":2,"template":{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}}}')).toEqual(['spec.replicas', 'spec.template.spec.containers[1].name']);
    expect(jsonDuplicateFields('{"a":{"x":1},"b":{"x":1}}')).toEqual([]);
    expect(yamlDuplicateFields('spec:\n  replicas: 1\n  replicas: 2\n  list:\n  - a: 1\n    a: 2\n')).toEqual(['spec.replicas', 'spec.list[0].a']);
  });
  it('are found with the parsed value given (its members counted first), strings with colons, quotes and escapes not taken for keys', () => {
    const cases: [string, string[]][] = [
      ['{"spec":{"replicas":1,"replicas":2,"template":{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}}}', ['spec.replicas', 'spec.template.spec.containers[1].name']],
      ['{"a":{"x":1},"b":{"x":1}}', []],
      ['{ "data" : { "k" : "v:\\\"x\\\":1", "k2": ["\\":", "a"] }, "data" : {} }', ['data']],
      ['{"m":{"\\"q\\"":1,"\\"q\\"":2}}', ['m."q"']],
      ['{"l":[{"a":1},{"a":2}],"e":{},"s":"{\\"a\\":1,\\"a\\":2}"}', []],
      ['{"__proto__":{"a":1},"x":[[{"y":1,"y":1}]]}', ['x[0][0].y']],
    ];
    for (const [text, dups] of cases) {
      expect(jsonDuplicateFields(text, JSON.parse(text))).toEqual(dups);
      expect(jsonDuplicateFields(text)).toEqual(dups);
    }
  });
  it('are quoted in Warning headers as kube does', () => {
    expect(warningHeader('unknown field "spec.x"')).toBe('299 - "unknown field \\"spec.x\\""');
  });
});

describe('fieldValidation over REST', () => {
  const TOKEN = 't';
  let t: TestKernel;
  let app: FastifyInstance;
  let base: string;
  const api = apiClient(() => base, TOKEN);
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
  const cm = (name: string, extra: object = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' }, ...extra });

  it('Strict refuses unknown and duplicate fields with kube\'s messages', async () => {
    const r = await api('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', cm('s1', { colour: 'blue' }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "colour"' });
    const dup = await api('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s2"},"data":{"a":"1","a":"2"}}');
    expect(dup.status).toBe(400);
    expect(dup.body.message).toMatch(/strict decoding error: duplicate field "data.a"$/);
    expect((await api('GET', '/api/v1/namespaces/default/configmaps/s1')).status).toBe(404);
    // a patch: 422 on `patch`
    expect((await api('POST', '/api/v1/namespaces/default/configmaps', cm('s3'))).status).toBe(201);
    const p = await api('PATCH', '/api/v1/namespaces/default/configmaps/s3?fieldValidation=Strict', { colour: 'red' }, { 'content-type': 'application/merge-patch+json' });
    expect(p.status).toBe(422);
    expect(p.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'patch', message: expect.stringMatching(/strict decoding error: unknown field "colour"$/) }]);
    const jp = await api('PATCH', '/api/v1/namespaces/default/configmaps/s3?fieldValidation=Strict', [{ op: 'add', path: '/metadata/bogus', value: 1 }], { 'content-type': 'application/json-patch+json' });
    expect(jp.status).toBe(422);
    expect(jp.body.message).toMatch(/unknown field "metadata.bogus"/);
    const ok = await api('PATCH', '/api/v1/namespaces/default/configmaps/s3?fieldValidation=Strict', [{ op: 'add', path: '/data/b', value: '2' }], { 'content-type': 'application/json-patch+json' });
    expect(ok.status).toBe(200);
  });

  it('Warn (the default) writes and says why in Warning headers; Ignore says nothing', async () => {
    const w = await api('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w1"},"colour":1,"data":{"a":"1","a":"2"}}');
    expect(w.status).toBe(201);
    expect(w.headers.get('warning')).toBe('299 - "unknown field \\"colour\\"", 299 - "duplicate field \\"data.a\\""');
    expect(w.body.data).toEqual({ a: '2' });
    const i = await api('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Ignore', cm('i1', { colour: 1 }));
    expect(i.status).toBe(201);
    expect(i.headers.get('warning')).toBeNull();
    const bad = await api('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Loose', cm('x1'));
    expect(bad.status).toBe(422);
  });

  it('serves OpenAPI v2 and v3 with ETags, 304s and hashed immutable URLs', async () => {
    const v2 = await api('GET', '/openapi/v2');
    expect(v2.status).toBe(200);
    expect(v2.body.definitions['io.k8s.api.core.v1.Pod']).toBeDefined();
    const etag = v2.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect((await api('GET', '/openapi/v2', undefined, { 'if-none-match': etag })).status).toBe(304);
    const proto = await fetch(`${base}/openapi/v2`, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    expect(proto.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect((await proto.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    const disc = (await api('GET', '/openapi/v3')).body;
    const url: string = disc.paths['apis/apps/v1'].serverRelativeURL;
    const doc = await api('GET', url);
    expect(doc.status).toBe(200);
    expect(doc.headers.get('cache-control')).toBe('public, immutable');
    expect(doc.body.components.schemas['io.k8s.api.apps.v1.Deployment']).toBeDefined();
    const old = await fetch(`${base}/openapi/v3/apis/apps/v1?hash=OLD`, { headers: { authorization: `Bearer ${TOKEN}` }, redirect: 'manual' });
    expect(old.status).toBe(301);
    expect(old.headers.get('location')).toBe(url);
    expect((await api('GET', '/openapi/v3/apis/nope/v1')).status).toBe(404);
  });

  it('rebuilds the documents when a kind is registered', async () => {
    const before = (await api('GET', '/openapi/v3')).body;
    expect(before.paths['apis/example.com/v1']).toBeUndefined();
    const reg = t.kernel.registerKind({ group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true, schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } });
    try {
      const after = (await api('GET', '/openapi/v3')).body;
      const doc = (await api('GET', after.paths['apis/example.com/v1'].serverRelativeURL)).body;
      expect(doc.components.schemas['com.example.v1.Widget'].properties.spec.properties.size).toEqual({ type: 'integer' });
      const r = await api('POST', '/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1, colour: 'x' } });
      expect(r.status).toBe(400);
      expect(r.body.message).toBe('Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.colour"');
    } finally {
      reg.dispose();
    }
  });
});
