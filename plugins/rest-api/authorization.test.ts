// The REST API asks the front-end kit's authorizer about every request, with kube's attributes,
// before it touches the kernel; a refusal is kube's 403 and nothing is stored.
import { request as httpRequest } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import type { RequestAttributes } from '@skiff/client/api-frontend';
import { createApiServer } from './server.ts';
import { apiClient } from './test-client.ts';

const bob = { name: 'bob', groups: ['system:authenticated'] };
let t: TestKernel;
let app: FastifyInstance;
let base: string;
const seen: RequestAttributes[] = [];
/** what bob may do: `verb resource` pairs; the admin may do everything */
const allowedForBob = new Set(['list configmaps', 'get /api', 'get configmaps', 'create selfsubjectaccessreviews']);

const admin = apiClient(() => base, 'admin-token');
const asBob = apiClient(() => base, 'bob-token');
const attrs = (a: RequestAttributes) => [a.user.name, a.verb, a.resourceRequest ? `${a.apiGroup}/${a.resource}${a.subresource ? '/' + a.subresource : ''}` : a.path, a.namespace, a.name];

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({
    kernel: t.kernel,
    tokens: ['admin-token', { token: 'bob-token', user: bob }],
    authorizer: {
      authorize(a) {
        seen.push(a);
        if (a.user.name !== 'bob') return { allowed: true };
        return allowedForBob.has(`${a.verb} ${a.resourceRequest ? a.resource : a.path}`) ? { allowed: true } : { allowed: false, reason: 'not in the test policy' };
      },
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('REST authorization', () => {
  it('hands the authorizer kube-style attributes for every kind of request', async () => {
    seen.length = 0;
    await admin('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } });
    await admin('GET', '/api/v1/namespaces/default/configmaps/a');
    await admin('GET', '/api/v1/configmaps?limit=1');
    await admin('PATCH', '/api/v1/namespaces/default/configmaps/a', { data: { x: '1' } }, { 'content-type': 'application/merge-patch+json' });
    await admin('PUT', '/apis/apps/v1/namespaces/default/deployments/d/scale', { spec: { replicas: 1 } });
    await admin('DELETE', '/api/v1/namespaces/default/configmaps/a');
    await admin('DELETE', '/api/v1/namespaces/default/configmaps');
    await admin('GET', '/apis/apps/v1');
    await admin('GET', '/version');
    await admin('GET', '/api/v1/namespaces/default/pods/p/log');
    const watch = await fetch(`${base}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1`, { headers: { authorization: 'Bearer admin-token' } });
    await watch.text();
    expect(seen.map(attrs)).toEqual([
      ['skiff-admin', 'create', '/configmaps', 'default', ''],
      ['skiff-admin', 'get', '/configmaps', 'default', 'a'],
      ['skiff-admin', 'list', '/configmaps', '', ''],
      ['skiff-admin', 'patch', '/configmaps', 'default', 'a'],
      ['skiff-admin', 'update', 'apps/deployments/scale', 'default', 'd'],
      ['skiff-admin', 'delete', '/configmaps', 'default', 'a'],
      ['skiff-admin', 'deletecollection', '/configmaps', 'default', ''],
      ['skiff-admin', 'get', '/apis/apps/v1', '', ''],
      ['skiff-admin', 'get', '/version', '', ''],
      ['skiff-admin', 'get', '/pods/log', 'default', 'p'],
      ['skiff-admin', 'watch', '/configmaps', 'default', ''],
    ]);
  });

  it("answers kube's 403 for what the authorizer refuses, and stores nothing", async () => {
    expect((await asBob('GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
    const r = await asBob('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bobs' } });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({
      kind: 'Status',
      code: 403,
      reason: 'Forbidden',
      message: 'configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "default": not in the test policy',
    });
    expect((await admin('GET', '/api/v1/namespaces/default/configmaps/bobs')).status).toBe(404);
    expect((await asBob('GET', '/apis')).status).toBe(403);
    expect((await asBob('GET', '/api')).status).toBe(200);
    expect((await asBob('GET', '/api/v1/namespaces/default/pods/p/log')).body).toMatchObject({ code: 403, message: expect.stringContaining('cannot get resource "pods/log"') });
    // health answers anybody, with or without a token
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/api`)).status).toBe(401);
  });

  it('refuses an exec upgrade the authorizer refuses before it reaches any node', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${base}/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true`, {
        method: 'POST',
        headers: { authorization: 'Bearer bob-token', connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' },
      });
      req.on('response', (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode!, body }));
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).message).toBe('pods "p" is forbidden: User "bob" cannot create resource "pods/exec" in API group "" in the namespace "default": not in the test policy');
  });

  it('answers "may I?" reviews for the caller (kubectl auth can-i): never stored, other verbs 405, creating one needs permission too', async () => {
    const review = (verb: string, resource: string) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'default', verb, resource } } });
    const yes = await asBob('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', review('list', 'configmaps'));
    expect(yes.status).toBe(201);
    expect(yes.body).toMatchObject({ kind: 'SelfSubjectAccessReview', status: { allowed: true } });
    const no = await asBob('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', review('delete', 'configmaps'));
    expect(no.body.status).toEqual({ allowed: false, reason: 'not in the test policy' });
    // bob may not ask for rules: creating that review is itself refused
    const rules = await asBob('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { spec: { namespace: 'default' } });
    expect(rules.status).toBe(403);
    expect((await admin('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { spec: { namespace: 'default' } })).body.status).toMatchObject({ incomplete: true });
    expect((await admin('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: {} })).status).toBe(422);
    expect((await admin('GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')).status).toBe(405);
    const discovery = (await admin('GET', '/apis/authorization.k8s.io/v1')).body;
    expect(discovery.resources).toContainEqual(expect.objectContaining({ name: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }));
  });
});
