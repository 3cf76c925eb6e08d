// The Ingress proxy on a real kernel (NATS), with real HTTP backends in a network namespace the test
// creates (EndpointSlices written by the test point at them): routing by host and path, the default
// backend, 404 and 503, TLS by SNI from Secrets, updates with requests in flight, endpoint changes,
// retries on a dead endpoint, Warning Events for bad references, status, and class selection.
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { EVENTS, INGRESS_CLASSES, INGRESSES, SECRETS, SERVICES, ENDPOINT_SLICES, type Ingress, type IngressBackend, type IngressClass, type EndpointSlice, type Event } from '@skiff/api';
import { silentLogger } from '@skiff/kernel/plugins';
import { eventually, sleep, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { DEFAULT_CLASS_ANNOTATION } from './ingress-class.ts';
import { IngressProxy } from './ingress-proxy.ts';
import { DEFAULT_CERT_CN, selfSignedCert } from './self-signed.ts';
import { BackendNet, get, upgrade } from './testing.ts';

const NS = 'default';
const be = (name: string, port: number | string = 80): IngressBackend => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });

describeNeeding(['root'], 'ingress proxy (real kernel, backends in a netns)', (missing) => {
  let tk: TestKernel;
  let net: BackendNet;
  let proxy: IngressProxy;
  let http: number;
  let https: number;
  const k = () => tk.kernel;

  async function service(name: string, ports: { name?: string; port: number }[] = [{ port: 80 }]) {
    await k().create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { ports } });
  }
  /** The slice of Service `name`: endpoints `addrs` (indexes into the netns addresses), port `port` named `portName`. */
  async function slice(name: string, eps: { addr: string; ready?: boolean }[], port: number, portName = '') {
    const body: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4', ports: [{ name: portName, port, protocol: 'TCP' }],
      endpoints: eps.map((e) => ({ addresses: [e.addr], conditions: { ready: e.ready ?? true } })),
    };
    try {
      const cur = await k().get(ENDPOINT_SLICES, NS, `${name}-1`);
      return (await k().update(ENDPOINT_SLICES, { ...body, metadata: { ...cur.metadata, ...body.metadata } })) as EndpointSlice;
    } catch {
      return (await k().create(ENDPOINT_SLICES, body)) as EndpointSlice;
    }
  }
  async function ingress(name: string, spec: Ingress['spec']) {
    try {
      const cur = await k().get(INGRESSES, NS, name);
      return (await k().update(INGRESSES, { ...cur, spec } as Ingress)) as Ingress;
    } catch {
      return (await k().create(INGRESSES, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: NS }, spec } as Ingress)) as Ingress;
    }
  }
  async function tlsSecret(name: string, host: string) {
    const c = await selfSignedCert([host]);
    await k().create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': c.certPem, 'tls.key': c.keyPem } });
  }
  const viaAgent = (agent: Agent, host: string) =>
    new Promise<{ backend: string; localPort: number }>((resolve, reject) => {
      request({ host: '127.0.0.1', port: http, path: '/', headers: { host }, agent }, (res) => {
        const localPort = res.socket.localPort!; // the socket goes back to the agent at the end
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ backend: (JSON.parse(body) as { backend: string }).backend, localPort }));
      }).on('error', reject).end();
    });
  const backendOf = async (path: string, host?: string) => (await get(http, path, { host })).json?.backend;

  beforeAll(async () => {
    if (missing()) return;
    tk = await startTestKernel();
    net = await BackendNet.create(5);
    await net.start([
      { name: 'a', host: net.addr(0), port: 8001 },
      { name: 'b', host: net.addr(1), port: 8002 },
      { name: 'c', host: net.addr(2), port: 8003 },
      { name: 'd', host: net.addr(3), port: 8004 },
      { name: 'a2', host: net.addr(1), port: 8001 },
    ]);
    for (const [svc, i, port] of [['svc-a', 0, 8001], ['svc-b', 1, 8002], ['svc-c', 2, 8003], ['svc-d', 3, 8004]] as const) {
      await service(svc, [{ name: 'http', port: 80 }]);
      await slice(svc, [{ addr: net.addr(i) }], port, 'http');
    }
    proxy = await IngressProxy.start(k(), silentLogger, {
      nodeName: 'node-1', address: '127.0.0.1', className: 'skiff',
      http: { host: '127.0.0.1', port: 0 }, https: { host: '127.0.0.1', port: 0 },
      connectTimeoutMs: 1_000,
    });
    http = proxy.ports.http!;
    https = proxy.ports.https!;
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop(1_000);
    await net?.delete();
    await tk?.stop();
  });

  test('creates the default IngressClass "skiff" for its controller', async () => {
    const cls = (await eventually(() => k().get(INGRESS_CLASSES, undefined, 'skiff').catch(() => undefined))) as IngressClass;
    expect(cls.spec?.controller).toBe('skiff.io/ingress-proxy');
    expect(cls.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION]).toBe('true');
  });

  test('routes by host and path (Prefix vs Exact, longest match), with X-Forwarded headers, and publishes its address', async () => {
    await ingress('hosts', {
      rules: [
        { host: 'a.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('svc-a', 'http') }] } },
        { host: 'b.example', http: { paths: [
          { path: '/b', pathType: 'Prefix', backend: be('svc-b', 80) },
          { path: '/b/exact', pathType: 'Exact', backend: be('svc-c', 80) },
        ] } },
      ],
    });
    await eventually(async () => (await backendOf('/', 'a.example')) === 'a', 5_000, 'a.example routed');
    const r = await get(http, '/some/path?q=1', { host: 'a.example' });
    expect(r.json).toMatchObject({ backend: 'a', path: '/some/path?q=1' });
    expect(r.json!.headers).toMatchObject({ host: 'a.example', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'a.example' });
    expect(await backendOf('/b', 'b.example')).toBe('b');
    expect(await backendOf('/b/x', 'b.example')).toBe('b');
    expect(await backendOf('/b/exact', 'b.example')).toBe('c');
    expect(await backendOf('/b/exact/more', 'b.example')).toBe('b');
    expect((await get(http, '/bb', { host: 'b.example' })).status).toBe(404);
    expect((await get(http, '/', { host: 'c.example' })).status).toBe(404);
    const ing = await eventually(async () => {
      const i = (await k().get(INGRESSES, NS, 'hosts')) as Ingress;
      return i.status?.loadBalancer?.ingress?.length ? i : undefined;
    }, 5_000, 'status');
    expect(ing.status?.loadBalancer?.ingress).toEqual([{ ip: '127.0.0.1' }]);
  });

  test('upgrades (WebSocket) are proxied to the routed backend', async () => {
    const r = await upgrade(http, 'a.example', 'hello through the proxy');
    expect(r.head).toMatch(/^HTTP\/1\.1 101/);
    expect(r.head.toLowerCase()).toContain('x-backend: a');
    expect(r.echo).toBe('hello through the proxy');
  });

  test('the default backend takes what no rule matches; a Service without ready endpoints is a 503', async () => {
    await service('svc-empty', [{ port: 80 }]);
    await slice('svc-empty', [{ addr: net.addr(0), ready: false }], 8001);
    await ingress('fallback', { defaultBackend: be('svc-d', 'http'), rules: [{ host: 'empty.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('svc-empty') }] } }] });
    await eventually(async () => (await backendOf('/', 'nothing.example')) === 'd', 5_000, 'default backend');
    expect(await backendOf('/', 'a.example')).toBe('a'); // the other Ingress's rule still wins
    const r = await get(http, '/', { host: 'empty.example' });
    expect(r.status).toBe(503);
    expect(r.body).toContain('no ready endpoints');
  });

  test('TLS: the certificate of the Secret the SNI names; the default one for other names and for no SNI', async () => {
    await tlsSecret('a-tls', 'a.example');
    await tlsSecret('b-tls', 'b.example');
    await ingress('hosts', {
      tls: [{ hosts: ['a.example'], secretName: 'a-tls' }, { hosts: ['b.example'], secretName: 'b-tls' }],
      rules: [
        { host: 'a.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('svc-a', 'http') }] } },
        { host: 'b.example', http: { paths: [{ path: '/b', pathType: 'Prefix', backend: be('svc-b', 80) }, { path: '/b/exact', pathType: 'Exact', backend: be('svc-c', 80) }] } },
      ],
    });
    const a = await eventually(async () => {
      const r = await get(https, '/', { https: true, servername: 'a.example', host: 'a.example' });
      return r.cn === 'a.example' ? r : undefined;
    }, 5_000, 'a.example certificate');
    expect(a.json).toMatchObject({ backend: 'a' });
    expect(a.json!.headers['x-forwarded-proto']).toBe('https');
    const b = await get(https, '/b', { https: true, servername: 'b.example', host: 'b.example' });
    expect(b).toMatchObject({ cn: 'b.example', json: { backend: 'b' } });
    expect((await get(https, '/', { https: true, servername: 'other.example', host: 'a.example' })).cn).toBe(DEFAULT_CERT_CN);
    expect((await get(https, '/', { https: true, host: 'a.example' })).cn).toBe(DEFAULT_CERT_CN);
  });

  test('an update while a slow request is in flight: the request finishes on its backend, new ones go to the new one', async () => {
    await ingress('slow', { rules: [{ host: 'slow.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('svc-a', 'http') }] } }] });
    await eventually(async () => (await backendOf('/', 'slow.example')) === 'a', 5_000, 'slow.example routed');
    const builds = proxy.builds;
    // a client's keep-alive connection, opened before the change
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await viaAgent(agent, 'slow.example');
    expect(before.backend).toBe('a');
    const inFlight = get(http, '/?ms=1500', { host: 'slow.example' });
    await sleep(200);
    await ingress('slow', { rules: [{ host: 'slow.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('svc-b', 'http') }] } }] });
    await eventually(async () => (await backendOf('/', 'slow.example')) === 'b', 5_000, 'slow.example moved to b');
    expect(proxy.builds).toBeGreaterThan(builds);
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.json?.backend).toBe('a');
    // the same client connection (the servers were not restarted) now reaches b
    const after = await viaAgent(agent, 'slow.example');
    expect(after).toEqual({ backend: 'b', localPort: before.localPort });
    agent.destroy();
  });

  test('an endpoint change reaches the proxy within a second', async () => {
    await ingress('moving', { rules: [{ host: 'moving.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('svc-moving') }] } }] });
    await service('svc-moving', [{ port: 80 }]);
    await slice('svc-moving', [{ addr: net.addr(0) }], 8001);
    await eventually(async () => (await backendOf('/', 'moving.example')) === 'a', 5_000, 'moving.example on a');
    const t0 = Date.now();
    await slice('svc-moving', [{ addr: net.addr(2) }], 8003);
    await eventually(async () => (await backendOf('/', 'moving.example')) === 'c', 5_000, 'moving.example on c', 10);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  test('endpoints round-robin; a dead endpoint (connection refused) is retried on another', async () => {
    await service('svc-rr', [{ port: 80 }]);
    // net.addr(4) has no server at all: connections to it are refused
    await k().create(ENDPOINT_SLICES, {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'svc-rr-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'svc-rr' } },
      addressType: 'IPv4', ports: [{ name: '', port: 8001, protocol: 'TCP' }], endpoints: [{ addresses: [net.addr(0)], conditions: { ready: true } }, { addresses: [net.addr(4)], conditions: { ready: true } }],
    });
    await ingress('rr', { rules: [{ host: 'rr.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('svc-rr') }] } }] });
    await eventually(async () => proxy.table.exact.get('rr.example')?.[0]?.backend.endpoints.length === 2, 5_000, 'two endpoints');
    const replies = await Promise.all(Array.from({ length: 6 }, () => get(http, '/', { host: 'rr.example' })));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(replies.map((r) => r.json?.backend))).toEqual(new Set(['a']));
    // two live endpoints share the requests in turn
    await slice('svc-rr', [{ addr: net.addr(0) }, { addr: net.addr(1) }], 8001);
    await eventually(async () => proxy.table.exact.get('rr.example')?.[0]?.backend.endpoints.some((e) => e.host === net.addr(1)), 5_000, 'a2 in the table');
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await backendOf('/', 'rr.example'))!);
    expect(seen.filter((b) => b === 'a')).toHaveLength(3);
    expect(seen.filter((b) => b === 'a2')).toHaveLength(3);
  });

  test('bad references: Warning Events on the Ingress, 503 for its routes, the default certificate; other routes keep working', async () => {
    await ingress('broken', {
      tls: [{ hosts: ['broken.example'], secretName: 'no-such-secret' }],
      rules: [{ host: 'broken.example', http: { paths: [
        { path: '/missing', pathType: 'Prefix', backend: be('no-such-svc') },
        { path: '/port', pathType: 'Prefix', backend: be('svc-a', 9999) },
        { path: '/', pathType: 'Prefix', backend: be('svc-b', 'http') },
      ] } }],
    });
    await eventually(async () => (await backendOf('/', 'broken.example')) === 'b', 5_000, 'broken.example routed');
    expect((await get(http, '/missing', { host: 'broken.example' })).status).toBe(503);
    expect((await get(http, '/port', { host: 'broken.example' })).status).toBe(503);
    expect((await get(https, '/', { https: true, servername: 'broken.example', host: 'broken.example' })).cn).toBe(DEFAULT_CERT_CN);
    const events = await eventually(async () => {
      const list = (await k().list(EVENTS, { namespace: NS })).items as Event[];
      const mine = list.filter((e) => e.involvedObject?.kind === 'Ingress' && e.involvedObject.name === 'broken');
      return mine.length >= 3 ? mine : undefined;
    }, 10_000, 'three events');
    expect(events.every((e) => e.type === 'Warning')).toBe(true);
    expect(events.map((e) => e.reason).sort()).toEqual(['SecretNotFound', 'ServiceNotFound', 'ServicePortNotFound']);
    expect(events.find((e) => e.reason === 'ServiceNotFound')!.message).toContain('Service "default/no-such-svc" not found');
    // the fix is picked up: the Service appears, its route works
    await service('no-such-svc', [{ port: 80 }]);
    await slice('no-such-svc', [{ addr: net.addr(3) }], 8004);
    await eventually(async () => (await backendOf('/missing', 'broken.example')) === 'd', 5_000, 'fixed route');
    expect(await backendOf('/', 'a.example')).toBe('a');
  });

  test('Ingresses of another controller\'s class are not served; changing the class to ours serves it', async () => {
    await k().create(INGRESS_CLASSES, { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'other' }, spec: { controller: 'example.com/other' } });
    await ingress('foreign', { ingressClassName: 'other', rules: [{ host: 'foreign.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('svc-a', 'http') }] } }] });
    await sleep(300);
    expect(await backendOf('/', 'foreign.example')).toBe('d'); // the default backend of Ingress "fallback", not its rule
    expect(((await k().get(INGRESSES, NS, 'foreign')) as Ingress).status?.loadBalancer?.ingress).toBeUndefined();
    await ingress('foreign', { ingressClassName: 'skiff', rules: [{ host: 'foreign.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('svc-a', 'http') }] } }] });
    await eventually(async () => (await backendOf('/', 'foreign.example')) === 'a', 5_000, 'foreign.example served');
  });

  test('stopping withdraws the node from Ingress status', async () => {
    const p2 = await IngressProxy.start(k(), silentLogger, { nodeName: 'node-2', address: '10.9.9.9', className: 'skiff', http: { host: '127.0.0.1', port: 0 } });
    await eventually(async () => {
      const i = (await k().get(INGRESSES, NS, 'hosts')) as Ingress;
      return (i.status?.loadBalancer?.ingress ?? []).length === 2;
    }, 5_000, 'two nodes in status');
    await p2.stop(500);
    const i = (await k().get(INGRESSES, NS, 'hosts')) as Ingress;
    expect(i.status?.loadBalancer?.ingress).toEqual([{ ip: '127.0.0.1' }]);
  });
});
