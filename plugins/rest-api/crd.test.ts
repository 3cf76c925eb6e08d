// CustomResourceDefinitions over REST on a real kernel, as a client of kube-apiserver sees them:
// created by POST, served once Established (discovery with shortNames and categories), objects
// validated (422 with causes, CEL rules), defaulted and pruned, the status and scale subresources,
// printer columns in Tables, two versions, and the CRD's deletion taking its objects along.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';
import { apiClient } from './test-client.ts';

const TOKEN = 't';
let t: TestKernel;
let app: FastifyInstance;
let base: string;
const api = apiClient(() => base, TOKEN);
const TABLE = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const CT = '/apis/stable.example.com/v1/namespaces/default/crontabs';
const CT_BETA = '/apis/stable.example.com/v1beta1/namespaces/default/crontabs';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.replicas <= self.maxReplicas', messageExpression: "'replicas (' + string(self.replicas) + ') must not exceed maxReplicas'" },
        { rule: "!has(oldSelf.image) || self.image == oldSelf.image", message: 'image is immutable' },
      ],
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
        image: { type: 'string' },
        replicas: { type: 'integer', minimum: 0, default: 1 },
        maxReplicas: { type: 'integer', default: 10 },
        port: { 'x-kubernetes-int-or-string': true },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    status: {
      type: 'object',
      properties: { replicas: { type: 'integer' }, selector: { type: 'string' }, conditions: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, status: { type: 'string' } } } } },
    },
  },
};

const crontabCRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'], categories: ['all'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: schema },
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
        additionalPrinterColumns: [
          { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: 'Image', type: 'string', priority: 1, jsonPath: '.spec.image' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      },
      { name: 'v1beta1', served: true, storage: false, deprecated: true, schema: { openAPIV3Schema: schema } },
    ],
  },
};

const crontab = (name: string, spec: Record<string, unknown>, apiVersion = 'stable.example.com/v1') => ({ apiVersion, kind: 'CronTab', metadata: { name }, spec });

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, tokens: [TOKEN] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const r = await api('POST', CRDS, crontabCRD);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await eventually(async () => {
    const c = await api('GET', `${CRDS}/crontabs.stable.example.com`);
    return c.body.status?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True');
  }, 15_000, 'Established');
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('CRDs over REST', () => {
  it('discovery lists the kind with its short names, categories and subresources; versions preferred first', async () => {
    const g = await api('GET', '/apis/stable.example.com');
    expect(g.body).toMatchObject({ kind: 'APIGroup', name: 'stable.example.com', preferredVersion: { groupVersion: 'stable.example.com/v1' } });
    expect(g.body.versions.map((v: any) => v.version)).toEqual(['v1', 'v1beta1']);
    const rl = await api('GET', '/apis/stable.example.com/v1');
    const names = rl.body.resources.map((r: any) => r.name);
    expect(names).toEqual(expect.arrayContaining(['crontabs', 'crontabs/status', 'crontabs/scale']));
    expect(rl.body.resources.find((r: any) => r.name === 'crontabs')).toMatchObject({ kind: 'CronTab', namespaced: true, shortNames: ['ct'], categories: ['all'], singularName: 'crontab' });
    const crd = await api('GET', `${CRDS}/crontabs.stable.example.com`);
    expect(crd.body.status.acceptedNames).toMatchObject({ plural: 'crontabs', kind: 'CronTab', shortNames: ['ct'] });
    expect(crd.body.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(['NamesAccepted=True', 'Established=True']);
  });

  it('an invalid object is a 422 naming each field; a CEL rule rejects with its message', async () => {
    const bad = await api('POST', CT, crontab('bad', { cronSpec: 'often', replicas: -1, port: 1.5 }));
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { name: 'bad', group: 'stable.example.com', kind: 'CronTab' } });
    expect(bad.body.details.causes.map((c: any) => c.field)).toEqual(['spec.cronSpec', 'spec.replicas', 'spec.port']);
    expect(bad.body.message).toMatch(/^CronTab\.stable\.example\.com "bad" is invalid: spec\.cronSpec: Invalid value: "often": spec\.cronSpec in body should match/);
    const cel = await api('POST', CT, crontab('cel', { replicas: 5, maxReplicas: 2 }));
    expect(cel.status).toBe(422);
    expect(cel.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": replicas (5) must not exceed maxReplicas' }]);
    const emb = await api('POST', CT, crontab('emb', { template: { spec: {} } }));
    expect(emb.status).toBe(422);
    expect(emb.body.details.causes.map((c: any) => `${c.field}:${c.reason}`)).toEqual(['spec.template.apiVersion:FieldValueRequired', 'spec.template.kind:FieldValueRequired']);
  });

  it('defaults and prunes unknown fields; int-or-string takes both', async () => {
    const r = await api('POST', CT, { ...crontab('a', { cronSpec: '* * * * */5', image: 'busybox', port: 'http', unknownField: 1 }), topLevel: true });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.spec).toEqual({ cronSpec: '* * * * */5', image: 'busybox', port: 'http', replicas: 1, maxReplicas: 10 });
    expect(r.body.topLevel).toBeUndefined();
    const r2 = await api('POST', CT, crontab('b', { cronSpec: '1 2 3 4 5', image: 'nginx', port: 8080, replicas: 3 }));
    expect(r2.status).toBe(201);
  });

  it('transition rules compare with the stored object', async () => {
    const cur = await api('GET', `${CT}/a`);
    const r = await api('PUT', `${CT}/a`, { ...cur.body, spec: { ...cur.body.spec, image: 'other' } });
    expect(r.status).toBe(422);
    expect(r.body.details.causes[0]).toMatchObject({ field: 'spec', message: 'Invalid value: "object": image is immutable' });
  });

  it('status and scale subresources', async () => {
    const st = await api('PATCH', `${CT}/b/status`, { status: { replicas: 3, selector: 'app=b', conditions: [{ type: 'Ready', status: 'True' }] }, spec: { replicas: 9 } }, { 'content-type': 'application/merge-patch+json' });
    expect(st.status, JSON.stringify(st.body)).toBe(200);
    expect(st.body.spec.replicas).toBe(3); // spec changes through /status are ignored
    const sc = await api('GET', `${CT}/b/scale`);
    expect(sc.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=b' } });
    const up = await api('PATCH', `${CT}/b/scale`, { spec: { replicas: 5 } }, { 'content-type': 'application/merge-patch+json' });
    expect(up.status).toBe(200);
    expect((await api('GET', `${CT}/b`)).body.spec.replicas).toBe(5);
    // a main-resource write leaves status alone
    const cur = (await api('GET', `${CT}/b`)).body;
    const put = await api('PUT', `${CT}/b`, { ...cur, status: { replicas: 0 } });
    expect(put.body.status.replicas).toBe(3);
  });

  it('Tables print the printer columns (priority 1 for -o wide) with typed cells', async () => {
    const r = await api('GET', CT, undefined, TABLE);
    expect(r.body.kind).toBe('Table');
    expect(r.body.columnDefinitions.map((c: any) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Spec', 'string', 0],
      ['Replicas', 'integer', 0],
      ['Ready', 'string', 0],
      ['Image', 'string', 1],
      ['Age', 'date', 0],
    ]);
    const rows = Object.fromEntries(r.body.rows.map((row: any) => [row.cells[0], row.cells]));
    expect(rows.a.slice(0, 5)).toEqual(['a', '* * * * */5', 1, null, 'busybox']);
    expect(rows.b.slice(0, 5)).toEqual(['b', '1 2 3 4 5', 5, 'True', 'nginx']);
    expect(rows.a[5]).toMatch(/^\d+s$/);
    const one = await api('GET', `${CT}/b`, undefined, TABLE);
    expect(one.body.rows[0].cells.slice(0, 4)).toEqual(['b', '1 2 3 4 5', 5, 'True']);
  });

  it('serves both versions over one store (conversion None)', async () => {
    const beta = await api('GET', `${CT_BETA}/a`);
    expect(beta.headers.get('warning')).toBe('299 - "stable.example.com/v1beta1 CronTab is deprecated; use stable.example.com/v1 CronTab"');
    expect((await api('GET', `${CT}/a`)).headers.get('warning')).toBeNull();
    expect(beta.body).toMatchObject({ apiVersion: 'stable.example.com/v1beta1', kind: 'CronTab', metadata: { name: 'a' } });
    const created = await api('POST', CT_BETA, crontab('c', { image: 'x' }, 'stable.example.com/v1beta1'));
    expect(created.status).toBe(201);
    expect((await api('GET', `${CT}/c`)).body.apiVersion).toBe('stable.example.com/v1');
    const wrong = await api('POST', CT_BETA, crontab('d', {}, 'stable.example.com/v1'));
    expect(wrong.status).toBe(400);
  });

  it('a CRD whose rule does not compile is refused with a 422 naming the rule', async () => {
    const bad = structuredClone(crontabCRD) as any;
    bad.metadata.name = 'badrules.stable.example.com';
    bad.spec.names = { plural: 'badrules', kind: 'BadRule' };
    bad.spec.versions = [{ ...bad.spec.versions[0], subresources: {}, additionalPrinterColumns: [{ name: 'X', type: 'color', jsonPath: 'spec.x' }] }];
    bad.spec.versions[0].schema = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.x >' }] } } } };
    const r = await api('POST', CRDS, bad);
    expect(r.status).toBe(422);
    expect(r.body.details.causes.map((c: any) => c.field)).toEqual([
      'spec.versions[0].additionalPrinterColumns[0].type',
      'spec.versions[0].additionalPrinterColumns[0].jsonPath',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule',
    ]);
  });

  it('deleting the CRD deletes its objects and stops serving it', async () => {
    const d = await api('DELETE', `${CRDS}/crontabs.stable.example.com`);
    expect(d.status).toBe(200);
    await eventually(async () => (await api('GET', `${CRDS}/crontabs.stable.example.com`)).status === 404, 15_000, 'CRD gone');
    const r = await api('GET', CT);
    expect(r.status).toBe(404);
    // created again: nothing of the old objects is left
    expect((await api('POST', CRDS, crontabCRD)).status).toBe(201);
    const list = await eventually(async () => {
      const l = await api('GET', CT);
      return l.status === 200 ? l : undefined;
    }, 15_000, 'served again');
    expect(list.body.items).toEqual([]);
  });
});
