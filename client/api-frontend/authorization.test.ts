import { describe, expect, it } from 'vitest';
import { ADMIN_USER } from './authentication.ts';
import { allowAll, forbiddenMessage } from './authorization.ts';
import { ApiGate } from './gate.ts';
import { nonResourceAttributes, resourceAttributes, restVerb, type RequestAttributes } from './request-attributes.ts';

const bob = { name: 'bob', groups: ['system:authenticated'] };

describe('request attributes and the authorizer seam', () => {
  it("names kube's verbs from HTTP methods", () => {
    expect(restVerb('GET', true, false)).toBe('get');
    expect(restVerb('GET', false, false)).toBe('list');
    expect(restVerb('GET', false, true)).toBe('watch');
    expect(restVerb('POST', false, false)).toBe('create');
    expect(restVerb('PUT', true, false)).toBe('update');
    expect(restVerb('PATCH', true, false)).toBe('patch');
    expect(restVerb('DELETE', true, false)).toBe('delete');
    expect(restVerb('DELETE', false, false)).toBe('deletecollection');
  });

  it("words a refusal as kube-apiserver does", () => {
    expect(forbiddenMessage(resourceAttributes(bob, 'get', { group: '', version: 'v1', resource: 'pods', namespace: 'ns', name: 'p' })))
      .toBe('pods "p" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "ns"');
    expect(forbiddenMessage(resourceAttributes(bob, 'list', { group: 'apps', version: 'v1', resource: 'deployments' }), 'no role'))
      .toBe('deployments.apps is forbidden: User "bob" cannot list resource "deployments" in API group "apps" at the cluster scope: no role');
    expect(forbiddenMessage(resourceAttributes(bob, 'create', { group: '', version: 'v1', resource: 'pods', namespace: 'ns', name: 'p', subresource: 'exec' })))
      .toBe('pods "p" is forbidden: User "bob" cannot create resource "pods/exec" in API group "" in the namespace "ns"');
    expect(forbiddenMessage(nonResourceAttributes(bob, 'GET', '/version'))).toBe('forbidden: User "bob" cannot get path "/version"');
  });

  it('authenticates, then asks the current authorizer; a refusal is a 403 Forbidden', async () => {
    const seen: RequestAttributes[] = [];
    let current: { authorize: (a: RequestAttributes) => { allowed: boolean; reason?: string } } | undefined;
    const gate = new ApiGate({ tokens: ['admin', { token: 'bob', user: bob }], authorizer: () => current as never });
    // no authorizer provided: everything is allowed
    await expect(gate.admit('bob', 'delete', { group: '', version: 'v1', resource: 'pods', namespace: 'n', name: 'x' })).resolves.toMatchObject({ user: bob, verb: 'delete', name: 'x' });
    await expect(gate.admit('wrong', 'get', { group: '', version: 'v1', resource: 'pods' })).rejects.toMatchObject({ status: { code: 401 } });
    current = {
      authorize: (a) => {
        seen.push(a);
        return a.user.groups.includes('system:masters') ? { allowed: true } : { allowed: false, reason: 'RBAC: not bound' };
      },
    };
    await expect(gate.admit('admin', 'list', { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'n' })).resolves.toMatchObject({ user: ADMIN_USER });
    const denied = await gate.admit('bob', 'update', { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'n', name: 'web', subresource: 'scale' }).catch((e) => e);
    expect(denied.status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'deployments.apps "web" is forbidden: User "bob" cannot update resource "deployments/scale" in API group "apps" in the namespace "n": RBAC: not bound',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    expect(seen.map((a) => [a.user.name, a.verb, a.apiGroup, a.resource, a.subresource, a.namespace, a.name])).toEqual([
      ['skiff-admin', 'list', 'apps', 'deployments', '', 'n', ''],
      ['bob', 'update', 'apps', 'deployments', 'scale', 'n', 'web'],
    ]);
    // an asynchronous authorizer (a webhook) works the same
    const slow = new ApiGate({ authorizer: { authorize: async () => ({ allowed: false }) } });
    await expect(slow.admit(undefined, 'get', { group: '', version: 'v1', resource: 'secrets', namespace: 'n', name: 's' })).rejects.toMatchObject({ status: { code: 403 } });
    expect(allowAll.authorize(nonResourceAttributes(bob, 'GET', '/'))).toEqual({ allowed: true });
  });
});
