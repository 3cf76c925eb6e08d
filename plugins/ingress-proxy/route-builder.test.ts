// Route tables from Ingresses: host and path matching as the Ingress spec says, merging, conflicts,
// and what a bad reference does to a table (nothing but its own routes).
import { describe, expect, test } from 'vitest';
import type { EndpointSlice, Ingress, IngressBackend, Secret, Service } from '@skiff/api';
import { RouteBuilder, type Sources } from './route-builder.ts';
import { certFor, match } from './route-table.ts';
import { selfSignedCert } from './self-signed.ts';
import { TlsContexts } from './tls-secrets.ts';

const svc = (name: string, ports: { name?: string; port: number }[] = [{ port: 80 }]): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports } });
const slice = (service: string, ips: string[], port = 8080, name = '', extra: Partial<EndpointSlice['endpoints'][0]> = {}): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4', ports: [{ name, port, protocol: 'TCP' }], endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, ...extra })),
});
const be = (name: string, port: number | string = 80): IngressBackend => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
let seq = 0;
const ing = (name: string, spec: Ingress['spec'], created = `2024-01-01T00:00:${String(seq++).padStart(2, '0')}Z`): Ingress => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', creationTimestamp: created, uid: name }, spec });

function builder(services: Service[], slices: EndpointSlice[], secrets: Secret[] = []) {
  const sources: Sources = {
    service: (ns, n) => services.find((s) => s.metadata.namespace === ns && s.metadata.name === n),
    slices: (ns, n) => slices.filter((s) => s.metadata.namespace === ns && s.metadata.labels?.['kubernetes.io/service-name'] === n),
    secret: (ns, n) => secrets.find((s) => s.metadata.namespace === ns && s.metadata.name === n),
  };
  return new RouteBuilder(sources, new TlsContexts());
}
// each Service gets one endpoint whose address names it: 10.0.<i>.1
const names = ['a', 'b', 'c', 'd', 'e', 'f'];
const services = names.map((n) => svc(n));
const slices = names.map((n, i) => slice(n, [`10.0.${i}.1`]));
const to = (t: ReturnType<RouteBuilder['build']>['table'], host: string | undefined, path: string) => {
  const m = match(t, host, path);
  if (!m) return 404;
  const ep = m.backend.pick();
  return ep ? names[Number(ep.host.split('.')[2])] : 503;
};

describe('route table', () => {
  test('Prefix matches element-wise, Exact only itself, the longest path wins, Exact before Prefix', () => {
    const { table } = builder(services, slices).build([
      ing('x', {
        rules: [{ host: 'a.example', http: { paths: [
          { path: '/', pathType: 'Prefix', backend: be('a') },
          { path: '/foo', pathType: 'Prefix', backend: be('b') },
          { path: '/foo', pathType: 'Exact', backend: be('c') },
          { path: '/foo/bar/', pathType: 'Prefix', backend: be('d') },
          { path: '/img', pathType: 'ImplementationSpecific', backend: be('e') },
        ] } }],
      }),
    ]);
    expect(to(table, 'a.example', '/foo')).toBe('c');
    expect(to(table, 'a.example', '/foo/')).toBe('b');
    expect(to(table, 'a.example', '/foo/x')).toBe('b');
    expect(to(table, 'a.example', '/foobar')).toBe('a');
    expect(to(table, 'a.example', '/foo/bar')).toBe('d');
    expect(to(table, 'a.example', '/foo/bar/baz')).toBe('d');
    expect(to(table, 'a.example', '/foo/barn')).toBe('b');
    expect(to(table, 'a.example', '/img/1.png')).toBe('e');
    expect(to(table, 'A.Example:8080', '/')).toBe('a');
  });
  test('hosts: exact, then a one-label wildcard, then rules without a host; then the default backend; else 404', () => {
    const { table } = builder(services, slices).build([
      ing('x', {
        rules: [
          { host: 'a.example', http: { paths: [{ path: '/a', pathType: 'Prefix', backend: be('a') }] } },
          { host: '*.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('b') }] } },
          { http: { paths: [{ path: '/any', pathType: 'Prefix', backend: be('c') }] } },
        ],
      }),
      ing('y', { defaultBackend: be('d') }),
    ]);
    expect(to(table, 'a.example', '/a')).toBe('a');
    expect(to(table, 'a.example', '/other')).toBe('b'); // falls through to the wildcard
    expect(to(table, 'z.example', '/')).toBe('b');
    expect(to(table, 'x.z.example', '/any')).toBe('c'); // a wildcard covers one label only
    expect(to(table, 'example', '/x')).toBe('d');
    expect(to(table, 'other.test', '/any/thing')).toBe('c');
    expect(to(table, 'other.test', '/')).toBe('d');
    const { table: bare } = builder(services, slices).build([ing('z', { rules: [{ host: 'a.example', http: { paths: [{ path: '/', pathType: 'Exact', backend: be('a') }] } }] })]);
    expect(to(bare, 'a.example', '/x')).toBe(404);
    expect(to(bare, 'b.example', '/')).toBe(404);
  });
  test('several Ingresses merge; the oldest wins a conflict and the younger one is told', () => {
    const { table, problems } = builder(services, slices).build([
      ing('new', { defaultBackend: be('b'), rules: [{ host: 'a.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('b') }, { path: '/n', pathType: 'Prefix', backend: be('c') }] } }] }, '2024-02-01T00:00:00Z'),
      ing('old', { defaultBackend: be('a'), rules: [{ host: 'a.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('a') }] } }] }, '2024-01-01T00:00:00Z'),
    ]);
    expect(to(table, 'a.example', '/')).toBe('a');
    expect(to(table, 'a.example', '/n')).toBe('c');
    expect(to(table, 'nowhere', '/')).toBe('a');
    expect(problems.get('default/new')).toEqual([{ reason: 'RouteConflict', message: 'Prefix path "/" of host "a.example" is served by an older Ingress' }]);
    expect(problems.has('default/old')).toBe(false);
  });
  test('endpoints: the Service port (number or name) names the slice port; ready ones round-robin; terminating ones only when none is ready', () => {
    const s = svc('web', [{ name: 'http', port: 80 }, { name: 'admin', port: 81 }]);
    const sl: EndpointSlice = {
      ...slice('web', []),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'admin', port: 9090, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.1.0.1'], conditions: { ready: true } },
        { addresses: ['10.1.0.2'], conditions: {} },
        { addresses: ['10.1.0.3'], conditions: { ready: false } },
        { addresses: ['10.1.0.4'], conditions: { ready: false, serving: true, terminating: true } },
      ],
    };
    const { table } = builder([s], [sl]).build([ing('x', { rules: [{ host: 'h', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('web', 80) }, { path: '/admin', pathType: 'Prefix', backend: be('web', 'admin') }] } }] })]);
    const web = match(table, 'h', '/')!.backend;
    expect([1, 2, 3, 4].map(() => web.pick()!.host)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.1', '10.1.0.2']);
    expect(web.pick()!.port).toBe(8080);
    expect(web.pick(new Set(['10.1.0.1:8080', '10.1.0.2:8080']))).toBeUndefined();
    expect(match(table, 'h', '/admin')!.backend.pick()!.port).toBe(9090);
    const onlyTerminating = { ...sl, endpoints: sl.endpoints.slice(2) };
    const { table: t2 } = builder([s], [onlyTerminating]).build([ing('x', { defaultBackend: be('web', 'http') })]);
    expect(t2.defaultBackend!.endpoints).toEqual([{ host: '10.1.0.4', port: 8080 }]);
  });
  test('a missing Service or port gives its routes no endpoint (503) and a problem; other routes are untouched', () => {
    const { table, problems } = builder(services, slices).build([
      ing('bad', { rules: [{ host: 'h', http: { paths: [
        { path: '/missing', pathType: 'Prefix', backend: be('nope') },
        { path: '/port', pathType: 'Prefix', backend: be('a', 8081) },
        { path: '/named', pathType: 'Prefix', backend: be('a', 'web') },
        { path: '/res', pathType: 'Prefix', backend: { resource: { kind: 'Bucket', name: 'b' } } },
        { path: '/', pathType: 'Prefix', backend: be('b') },
      ] } }] }),
    ]);
    expect(to(table, 'h', '/missing')).toBe(503);
    expect(to(table, 'h', '/port')).toBe(503);
    expect(to(table, 'h', '/res')).toBe(503);
    expect(to(table, 'h', '/x')).toBe('b');
    expect(problems.get('default/bad')!.map((p) => p.reason)).toEqual(['ServiceNotFound', 'ServicePortNotFound', 'ServicePortNotFound', 'UnsupportedBackend']);
    expect(match(table, 'h', '/missing')!.backend.unavailable).toBe('Service "default/nope" not found');
  });
  test('TLS: a certificate per host and per wildcard from kubernetes.io/tls Secrets; a missing or bad Secret is a problem and the default certificate', async () => {
    const crt = await selfSignedCert(['a.example']);
    const tlsSecret = (name: string, type = 'kubernetes.io/tls', data = { 'tls.crt': Buffer.from(crt.certPem).toString('base64'), 'tls.key': Buffer.from(crt.keyPem).toString('base64') }): Secret => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', uid: name, resourceVersion: '1' }, type, data });
    const secrets = [tlsSecret('good'), tlsSecret('opaque', 'Opaque'), tlsSecret('garbage', 'kubernetes.io/tls', { 'tls.crt': 'eA==', 'tls.key': 'eA==' })];
    const { table, problems } = builder(services, slices, secrets).build([
      ing('x', {
        tls: [{ hosts: ['a.example', '*.w.example'], secretName: 'good' }, { hosts: ['b.example'], secretName: 'missing' }, { hosts: ['c.example'], secretName: 'opaque' }, { hosts: ['d.example'], secretName: 'garbage' }],
        defaultBackend: be('a'),
      }),
    ]);
    expect(certFor(table, 'a.example')).toBeDefined();
    expect(certFor(table, 'x.w.example')).toBe(certFor(table, 'a.example'));
    expect(certFor(table, 'b.example')).toBeUndefined();
    expect(certFor(table, 'y.x.w.example')).toBeUndefined();
    expect(problems.get('default/x')!.map((p) => p.reason)).toEqual(['SecretNotFound', 'InvalidTLSSecret', 'InvalidTLSSecret']);
  });
});
