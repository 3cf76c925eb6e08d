// The cluster-dns plugin on a real kernel (NATS JetStream via the kernel test kit), listening on
// 127.0.0.1: every record type from real Service and EndpointSlice objects, and updates (a Service
// created or deleted, an endpoint turning not ready) reaching the answers within a second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_SLICES, NAMESPACES, SERVICES } from '@skiff/api';
import type { KObject } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import clusterDns from './plugin.ts';
import { dataOf, query } from './testing.ts';
import { SERVICE_NAME_LABEL, type EndpointSlice } from './types.ts';

let t: TestKernel;
let host: PluginHost;
let port: number;

const svc = (name: string, ns: string, spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec });
const slice = (name: string, ns: string, service: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = []): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: ns, labels: { [SERVICE_NAME_LABEL]: service } },
  addressType: 'IPv4',
  endpoints,
  ports,
});

/** ms until `check` holds for the answer to name/type (polled every 10 ms). */
async function msUntil(name: string, type: string, check: (p: Awaited<ReturnType<typeof query>>['packet']) => boolean, t0: number): Promise<number> {
  await eventually(async () => check((await query(port, name, type)).packet), 5000, `${name} ${type}`, 10);
  return performance.now() - t0;
}

beforeAll(async () => {
  t = await startTestKernel();
  await t.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  await t.kernel.create(SERVICES, svc('web', 'shop', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] }));
  await t.kernel.create(SERVICES, svc('db', 'shop', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }));
  await t.kernel.create(SERVICES, svc('ext', 'shop', { type: 'ExternalName', externalName: 'db.example.com' }));
  await t.kernel.create(
    ENDPOINT_SLICES,
    slice(
      'db-x1',
      'shop',
      'db',
      [
        { addresses: ['10.244.0.10'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.244.0.11'], hostname: 'db-1', conditions: { ready: true } },
        { addresses: ['10.244.0.12'], hostname: 'db-2', conditions: { ready: false } },
      ],
      [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    ),
  );
  host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'warn' }) });
  await host.load([{ descriptor: clusterDns, config: { listen: ['127.0.0.1:0'], upstreams: [] } }]);
  port = Number(String((host.runtime('cluster-dns')!.listening as string[])[0]).split(':')[1]);
  await eventually(async () => (await query(port, 'db-1.db.shop.svc.cluster.local', 'A')).packet.rcode === 'NOERROR', 10_000, 'the zone synced');
});

afterAll(async () => {
  await host?.stop();
  await t?.stop();
});

describe('cluster-dns plugin on a real kernel', () => {
  it('ClusterIP Service: A, SRV for named ports (TCP and UDP), PTR; NODATA with SOA for AAAA', async () => {
    expect(dataOf((await query(port, 'web.shop.svc.cluster.local', 'A')).packet, 'A')).toEqual(['10.96.0.20']);
    const srv = (await query(port, '_http._tcp.web.shop.svc.cluster.local', 'SRV')).packet;
    expect(dataOf(srv, 'SRV')).toEqual(['0 100 80 web.shop.svc.cluster.local']);
    expect(dataOf(srv, 'A', 'additionals')).toEqual(['10.96.0.20']);
    expect(dataOf((await query(port, '_dns._udp.web.shop.svc.cluster.local', 'SRV')).packet, 'SRV')).toEqual(['0 100 53 web.shop.svc.cluster.local']);
    expect((await query(port, '_dns._tcp.web.shop.svc.cluster.local', 'SRV')).packet.rcode).toBe('NXDOMAIN');
    expect(dataOf((await query(port, '20.0.96.10.in-addr.arpa', 'PTR')).packet, 'PTR')).toEqual(['web.shop.svc.cluster.local']);
    const nodata = (await query(port, 'web.shop.svc.cluster.local', 'AAAA')).packet;
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answers).toEqual([]);
    expect(nodata.authorities!.map((a) => a.type)).toEqual(['SOA']);
  });

  it('headless Service: ready endpoints only, per-pod hostnames (StatefulSet), SRV per endpoint, PTR to the pod name', async () => {
    expect(dataOf((await query(port, 'db.shop.svc.cluster.local', 'A')).packet, 'A')).toEqual(['10.244.0.10', '10.244.0.11']);
    expect(dataOf((await query(port, 'db-0.db.shop.svc.cluster.local', 'A')).packet, 'A')).toEqual(['10.244.0.10']);
    expect((await query(port, 'db-2.db.shop.svc.cluster.local', 'A')).packet.rcode).toBe('NXDOMAIN');
    const srv = (await query(port, '_pg._tcp.db.shop.svc.cluster.local', 'SRV')).packet;
    expect(dataOf(srv, 'SRV')).toEqual(['0 50 5432 db-0.db.shop.svc.cluster.local', '0 50 5432 db-1.db.shop.svc.cluster.local']);
    expect(dataOf((await query(port, '11.0.244.10.in-addr.arpa', 'PTR')).packet, 'PTR')).toEqual(['db-1.db.shop.svc.cluster.local']);
  });

  it('ExternalName → CNAME; unknown names NXDOMAIN with SOA; the namespace alone NODATA; outside names SERVFAIL at once (no upstream)', async () => {
    const c = (await query(port, 'ext.shop.svc.cluster.local', 'A')).packet;
    expect(c.rcode).toBe('NOERROR');
    expect(dataOf(c, 'CNAME')).toEqual(['db.example.com']);
    const nx = (await query(port, 'nope.shop.svc.cluster.local', 'A')).packet;
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authorities![0]).toMatchObject({ type: 'SOA', name: 'cluster.local' });
    expect((await query(port, 'shop.svc.cluster.local', 'A')).packet).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect((await query(port, 'nons.svc.cluster.local', 'A')).packet.rcode).toBe('NXDOMAIN');
    const out = await query(port, 'example.com', 'A');
    expect(out.packet.rcode).toBe('SERVFAIL');
    expect(out.ms).toBeLessThan(200);
  });

  it('a Service created, an endpoint turning not ready, a Service deleted: the answers follow within a second', async () => {
    let t0 = performance.now();
    await t.kernel.create(SERVICES, svc('api', 'shop', { clusterIP: '10.96.0.30', ports: [{ port: 443 }] }));
    expect(await msUntil('api.shop.svc.cluster.local', 'A', (p) => dataOf(p, 'A')[0] === '10.96.0.30', t0)).toBeLessThan(1000);

    const cur = (await t.kernel.get(ENDPOINT_SLICES, 'shop', 'db-x1')) as EndpointSlice;
    cur.endpoints![0].conditions = { ready: false };
    t0 = performance.now();
    await t.kernel.update(ENDPOINT_SLICES, cur);
    expect(await msUntil('db.shop.svc.cluster.local', 'A', (p) => dataOf(p, 'A').join() === '10.244.0.11', t0)).toBeLessThan(1000);
    expect((await query(port, 'db-0.db.shop.svc.cluster.local', 'A')).packet.rcode).toBe('NXDOMAIN');

    t0 = performance.now();
    await t.kernel.delete(SERVICES, 'shop', 'api');
    expect(await msUntil('api.shop.svc.cluster.local', 'A', (p) => p.rcode === 'NXDOMAIN', t0)).toBeLessThan(1000);

    // a second slice of the same Service adds its endpoints
    t0 = performance.now();
    await t.kernel.create(ENDPOINT_SLICES, slice('db-x2', 'shop', 'db', [{ addresses: ['10.244.0.13'], hostname: 'db-3' }]));
    expect(await msUntil('db.shop.svc.cluster.local', 'A', (p) => dataOf(p, 'A').join() === '10.244.0.11,10.244.0.13', t0)).toBeLessThan(1000);
  });

  it('hot reload on the same address: every query during the swap is answered', async () => {
    await host.reload('cluster-dns', clusterDns, { listen: [`127.0.0.1:${port}`], upstreams: [] });
    let stop = false;
    const answers: string[] = [];
    const asking = (async () => {
      while (!stop) answers.push((await query(port, 'web.shop.svc.cluster.local', 'A', { timeoutMs: 1000 })).packet.rcode);
    })();
    await host.reload('cluster-dns', { ...clusterDns, version: '0.1.1' }, { listen: [`127.0.0.1:${port}`], upstreams: [] });
    await new Promise((r) => setTimeout(r, 300)); // and a little after
    stop = true;
    await asking;
    expect(answers.length).toBeGreaterThan(5);
    expect(new Set(answers)).toEqual(new Set(['NOERROR']));
    expect(host.list().find((p) => p.name === 'cluster-dns')).toMatchObject({ version: '0.1.1' });
  });
});
