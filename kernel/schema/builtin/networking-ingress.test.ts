import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { ingressClassKind, ingressKind, isWildcardDNS1123Subdomain } from './networking-ingress.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const ing = (spec: unknown, extra: Record<string, unknown> = {}): KObject =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default' }, spec, ...extra }) as KObject;
const admit = (o: KObject, old?: KObject) => {
  ingressKind.default?.(o);
  return ingressKind.validate!(o, old);
};
const svc = (name = 'web', port: Record<string, unknown> = { number: 80 }) => ({ service: { name, port } });
const rule = (host: string | undefined, paths: unknown[]) => ({ ...(host !== undefined ? { host } : {}), http: { paths } });
const path = (p: string | undefined, pathType: string | undefined, backend: unknown = svc()) => ({ ...(p !== undefined ? { path: p } : {}), ...(pathType ? { pathType } : {}), backend });

describe('Ingress', () => {
  test('host and path rules, TLS, a default backend and a class are valid; status starts as {loadBalancer: {}}', () => {
    const o = ing({
      ingressClassName: 'skiff',
      defaultBackend: svc('fallback', { name: 'http' }),
      tls: [{ hosts: ['a.example', '*.b.example'], secretName: 'a-tls' }],
      rules: [
        rule('a.example', [path('/', 'Prefix'), path('/exact', 'Exact'), path(undefined, 'ImplementationSpecific')]),
        rule('*.b.example', [path('/x', 'Prefix', { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } })]),
        rule(undefined, [path('/', 'Prefix')]),
      ],
    });
    expect(admit(o)).toEqual([]);
    expect(o.status).toEqual({ loadBalancer: {} });
  });
  test.each([
    [{}, ['spec:FieldValueInvalid']],
    [{ defaultBackend: {} }, ['spec.defaultBackend:FieldValueInvalid']],
    [{ defaultBackend: { ...svc(), resource: { kind: 'A', name: 'b' } } }, ['spec.defaultBackend:FieldValueInvalid']],
    [{ defaultBackend: svc('Web') }, ['spec.defaultBackend.service.name:FieldValueInvalid']],
    [{ defaultBackend: { service: { port: { number: 80 } } } }, ['spec.defaultBackend.service.name:FieldValueRequired']],
    [{ defaultBackend: svc('web', {}) }, ['spec.defaultBackend:FieldValueRequired']],
    [{ defaultBackend: svc('web', { name: 'http', number: 80 }) }, ['spec.defaultBackend:FieldValueInvalid']],
    [{ defaultBackend: svc('web', { number: 70000 }) }, ['spec.defaultBackend.service.port.number:FieldValueInvalid']],
    [{ defaultBackend: svc('web', { name: 'Not_A_Port' }) }, ['spec.defaultBackend.service.port.name:FieldValueInvalid']],
    [{ defaultBackend: { resource: { name: 'a/b' } } }, ['spec.defaultBackend.resource.kind:FieldValueRequired', 'spec.defaultBackend.resource.name:FieldValueInvalid']],
    [{ rules: [rule('10.0.0.1', [path('/', 'Prefix')])] }, ['spec.rules[0].host:FieldValueInvalid']],
    [{ rules: [rule('A.example', [path('/', 'Prefix')])] }, ['spec.rules[0].host:FieldValueInvalid']],
    [{ rules: [rule('a.example:8080', [path('/', 'Prefix')])] }, ['spec.rules[0].host:FieldValueInvalid']],
    [{ rules: [rule('*', [path('/', 'Prefix')])] }, ['spec.rules[0].host:FieldValueInvalid']],
    [{ rules: [rule('a.*.example', [path('/', 'Prefix')])] }, ['spec.rules[0].host:FieldValueInvalid']],
    [{ rules: [rule('a.example', [])] }, ['spec.rules[0].http.paths:FieldValueRequired']],
    [{ rules: [rule('a.example', [path('/', undefined)])] }, ['spec.rules[0].http.paths[0].pathType:FieldValueRequired']],
    [{ rules: [rule('a.example', [path('/', 'Regex')])] }, ['spec.rules[0].http.paths[0].pathType:FieldValueNotSupported']],
    [{ rules: [rule('a.example', [path('foo', 'Prefix')])] }, ['spec.rules[0].http.paths[0].path:FieldValueInvalid']],
    [{ rules: [rule('a.example', [path(undefined, 'Exact')])] }, ['spec.rules[0].http.paths[0].path:FieldValueInvalid']],
    [{ rules: [rule('a.example', [path('/a//b', 'Prefix')])] }, ['spec.rules[0].http.paths[0].path:FieldValueInvalid']],
    [{ rules: [rule('a.example', [path('/a/..', 'Exact')])] }, ['spec.rules[0].http.paths[0].path:FieldValueInvalid']],
    [{ rules: [rule('a.example', [path('foo', 'ImplementationSpecific')])] }, ['spec.rules[0].http.paths[0].path:FieldValueInvalid']],
    [{ rules: [rule('a.example', [{ path: '/', pathType: 'Prefix' }])] }, ['spec.rules[0].http.paths[0].backend:FieldValueInvalid']],
    [{ rules: [rule('a.example', [path('/', 'Prefix', svc('web', { number: 0 }))])] }, ['spec.rules[0].http.paths[0].backend:FieldValueRequired']],
    [{ defaultBackend: svc(), tls: [{ hosts: ['*.*.example'], secretName: 'Bad_Secret' }] }, ['spec.tls[0].hosts[0]:FieldValueInvalid', 'spec.tls[0].secretName:FieldValueInvalid']],
    [{ defaultBackend: svc(), ingressClassName: 'Skiff!' }, ['spec.ingressClassName:FieldValueInvalid']],
    [{ defaultBackend: svc(), rules: 'x' }, ['spec.rules:FieldValueTypeInvalid']],
  ])('%j', (spec, expected) => {
    expect(f(admit(ing(spec)))).toEqual(expected);
  });
  test('a TLS entry without a secret (SNI with the default certificate) is valid', () => {
    expect(admit(ing({ defaultBackend: svc(), tls: [{ hosts: ['a.example'] }] }))).toEqual([]);
  });
  test('status: load-balancer ingress points are IPs or DNS names', () => {
    const o = ing({ defaultBackend: svc() }, { status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }, { ip: 'nope' }, { hostname: '10.0.0.2' }] } } });
    expect(f(admit(o))).toEqual(['status.loadBalancer.ingress[1].ip:FieldValueInvalid', 'status.loadBalancer.ingress[2].hostname:FieldValueInvalid']);
  });
  test('wildcard hosts: one leading "*." then a subdomain', () => {
    expect(isWildcardDNS1123Subdomain('*.example.com')).toEqual([]);
    expect(isWildcardDNS1123Subdomain('*.com')).toEqual([]);
    expect(isWildcardDNS1123Subdomain('*example.com')).toHaveLength(1);
    expect(isWildcardDNS1123Subdomain('foo.*.com')).toHaveLength(1);
  });
  test('registered as kube serves it: short name ing, no category, a status subresource', () => {
    expect(ingressKind.shortNames).toEqual(['ing']);
    expect(ingressKind.categories).toBeUndefined();
    expect(ingressKind.subresources).toEqual(['status']);
  });
});

const cls = (spec: unknown): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'skiff' }, spec }) as KObject;
const admitClass = (o: KObject, old?: KObject) => {
  ingressClassKind.default?.(o);
  return ingressClassKind.validate!(o, old);
};

describe('IngressClass', () => {
  test('a controller with cluster-scoped parameters is valid; scope defaults to Cluster', () => {
    const o = cls({ controller: 'skiff.io/ingress-proxy', parameters: { apiGroup: 'k8s.example.com', kind: 'Params', name: 'p' } });
    expect(admitClass(o)).toEqual([]);
    expect((o.spec as { parameters: { scope: string } }).parameters.scope).toBe('Cluster');
  });
  test.each([
    [{}, ['spec.controller:FieldValueRequired']],
    [{ controller: 'ingress-proxy' }, ['spec.controller:FieldValueInvalid']],
    [{ controller: 'Skiff.IO/x' }, ['spec.controller:FieldValueInvalid']],
    [{ controller: `skiff.io/${'x'.repeat(250)}` }, ['spec.controller:FieldValueTooLong']],
    [{ controller: 'skiff.io/x', parameters: { kind: 'P', name: 'p', scope: 'Namespace' } }, ['spec.parameters.namespace:FieldValueRequired']],
    [{ controller: 'skiff.io/x', parameters: { kind: 'P', name: 'p', scope: 'Cluster', namespace: 'a' } }, ['spec.parameters.namespace:FieldValueForbidden']],
    [{ controller: 'skiff.io/x', parameters: { kind: 'P', name: 'p', scope: 'Global' } }, ['spec.parameters.scope:FieldValueNotSupported']],
    [{ controller: 'skiff.io/x', parameters: { name: 'p' } }, ['spec.parameters.kind:FieldValueRequired']],
  ])('%j', (spec, expected) => {
    expect(f(admitClass(cls(spec)))).toEqual(expected);
  });
  test('the controller is immutable', () => {
    const old = cls({ controller: 'skiff.io/a' });
    expect(f(admitClass(cls({ controller: 'skiff.io/b' }), old))).toEqual(['spec.controller:FieldValueInvalid']);
  });
  test('cluster-scoped, no short name', () => {
    expect(ingressClassKind.namespaced).toBe(false);
    expect(ingressClassKind.shortNames).toBeUndefined();
  });
});
