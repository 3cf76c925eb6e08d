import { describe, expect, it } from 'vitest';
import { SERVICE_NAME_LABEL, type EndpointSlice, type Service } from './types.ts';
import { ClusterZone, type LookupResult } from './zone.ts';

const svc = (name: string, spec: Service['spec'], ns = 'default'): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec });
const slice = (name: string, service: string, s: Partial<EndpointSlice>, ns = 'default'): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: ns, labels: { [SERVICE_NAME_LABEL]: service } },
  addressType: 'IPv4',
  endpoints: [],
  ...s,
});

const data = (r: LookupResult) => {
  if (r.forward) return 'forward';
  return { rcode: r.rcode, answers: r.answers.map((a) => `${a.name} ${a.type} ${JSON.stringify((a as { data: unknown }).data)}`), soa: r.authorities.length > 0 };
};

describe('ClusterZone', () => {
  it('ClusterIP Service: A, AAAA, SRV for named ports only, PTR; NODATA for other types', () => {
    const z = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
    z.setService(svc('web', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20', 'fd00::20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 81 }] }));
    expect(data(z.lookup('web.default.svc.cluster.local', 'A'))).toEqual({ rcode: 'NOERROR', answers: ['web.default.svc.cluster.local A "10.96.0.20"'], soa: false });
    expect(data(z.lookup('WEB.Default.svc.cluster.local.', 'AAAA'))).toEqual({ rcode: 'NOERROR', answers: ['WEB.Default.svc.cluster.local AAAA "fd00::20"'], soa: false });
    expect(data(z.lookup('_http._tcp.web.default.svc.cluster.local', 'SRV'))).toMatchObject({
      answers: ['_http._tcp.web.default.svc.cluster.local SRV {"priority":0,"weight":100,"port":80,"target":"web.default.svc.cluster.local"}'],
    });
    expect(data(z.lookup('20.0.96.10.in-addr.arpa', 'PTR'))).toMatchObject({ answers: ['20.0.96.10.in-addr.arpa PTR "web.default.svc.cluster.local"'] });
    const v6rev = '0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa';
    expect(data(z.lookup(v6rev, 'PTR'))).toMatchObject({ answers: [`${v6rev} PTR "web.default.svc.cluster.local"`] });
    expect(data(z.lookup('web.default.svc.cluster.local', 'MX'))).toEqual({ rcode: 'NOERROR', answers: [], soa: true });
    expect(data(z.lookup('_tcp.web.default.svc.cluster.local', 'SRV'))).toEqual({ rcode: 'NOERROR', answers: [], soa: true });
  });

  it('unknown names NXDOMAIN with SOA; empty non-terminals and existing namespaces NODATA; outside names forwarded', () => {
    const z = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
    z.setService(svc('web', { clusterIP: '10.96.0.20' }));
    z.setNamespace('empty');
    expect(data(z.lookup('nope.default.svc.cluster.local', 'A'))).toEqual({ rcode: 'NXDOMAIN', answers: [], soa: true });
    expect(data(z.lookup('default.svc.cluster.local', 'A'))).toEqual({ rcode: 'NOERROR', answers: [], soa: true });
    expect(data(z.lookup('empty.svc.cluster.local', 'A'))).toEqual({ rcode: 'NOERROR', answers: [], soa: true });
    expect(data(z.lookup('missing.svc.cluster.local', 'A'))).toEqual({ rcode: 'NXDOMAIN', answers: [], soa: true });
    expect(data(z.lookup('svc.cluster.local', 'A'))).toEqual({ rcode: 'NOERROR', answers: [], soa: true });
    expect(data(z.lookup('default.cluster.local', 'A'))).toEqual({ rcode: 'NXDOMAIN', answers: [], soa: true });
    expect(data(z.lookup('example.com', 'A'))).toBe('forward');
    expect(data(z.lookup('9.9.9.9.in-addr.arpa', 'PTR'))).toBe('forward');
    expect(z.lookup('cluster.local', 'SOA')).toMatchObject({ rcode: 'NOERROR', answers: [{ type: 'SOA', data: { mname: 'ns.dns.cluster.local', minimum: 5 } }] });
    expect(z.lookup('dns-version.cluster.local', 'TXT')).toMatchObject({ answers: [{ type: 'TXT', data: '1.1.0' }] });
  });

  it('headless Service: ready endpoint IPs, per-endpoint names (hostname or dashed IP), SRV per endpoint, PTR', () => {
    const z = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
    z.setService(svc('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }));
    z.setSlice(
      slice('db-abc', 'db', {
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
        endpoints: [
          { addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true } },
          { addresses: ['10.244.0.6'], conditions: {} },
          { addresses: ['10.244.0.7'], hostname: 'db-2', conditions: { ready: false } },
        ],
      }),
    );
    expect(data(z.lookup('db.default.svc.cluster.local', 'A'))).toMatchObject({ answers: ['db.default.svc.cluster.local A "10.244.0.5"', 'db.default.svc.cluster.local A "10.244.0.6"'] });
    expect(data(z.lookup('db-0.db.default.svc.cluster.local', 'A'))).toMatchObject({ answers: ['db-0.db.default.svc.cluster.local A "10.244.0.5"'] });
    expect(data(z.lookup('10-244-0-6.db.default.svc.cluster.local', 'A'))).toMatchObject({ answers: ['10-244-0-6.db.default.svc.cluster.local A "10.244.0.6"'] });
    expect(data(z.lookup('db-2.db.default.svc.cluster.local', 'A'))).toMatchObject({ rcode: 'NXDOMAIN' });
    const srv = z.lookup('_pg._tcp.db.default.svc.cluster.local', 'SRV');
    expect(data(srv)).toMatchObject({
      answers: [
        '_pg._tcp.db.default.svc.cluster.local SRV {"priority":0,"weight":50,"port":5432,"target":"db-0.db.default.svc.cluster.local"}',
        '_pg._tcp.db.default.svc.cluster.local SRV {"priority":0,"weight":50,"port":5432,"target":"10-244-0-6.db.default.svc.cluster.local"}',
      ],
    });
    expect(!srv.forward && srv.additionals.map((a) => `${a.name} ${(a as { data: string }).data}`)).toEqual(['db-0.db.default.svc.cluster.local 10.244.0.5', '10-244-0-6.db.default.svc.cluster.local 10.244.0.6']);
    expect(data(z.lookup('5.0.244.10.in-addr.arpa', 'PTR'))).toMatchObject({ answers: ['5.0.244.10.in-addr.arpa PTR "db-0.db.default.svc.cluster.local"'] });

    // the slice changes, then goes: the records follow
    z.setSlice(slice('db-abc', 'db', { endpoints: [{ addresses: ['10.244.0.7'], hostname: 'db-2' }] }));
    expect(data(z.lookup('db.default.svc.cluster.local', 'A'))).toMatchObject({ answers: ['db.default.svc.cluster.local A "10.244.0.7"'] });
    expect(data(z.lookup('db-0.db.default.svc.cluster.local', 'A'))).toMatchObject({ rcode: 'NXDOMAIN' });
    expect(data(z.lookup('5.0.244.10.in-addr.arpa', 'PTR'))).toBe('forward');
    z.deleteSlice(slice('db-abc', 'db', {}));
    expect(data(z.lookup('db.default.svc.cluster.local', 'A'))).toEqual({ rcode: 'NOERROR', answers: [], soa: true });
  });

  it('ExternalName: CNAME, followed inside the zone; the Service going makes the name NXDOMAIN', () => {
    const z = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
    let changes = 0;
    z.onChange(() => changes++);
    z.setService(svc('ext', { type: 'ExternalName', externalName: 'Example.COM.' }));
    z.setService(svc('alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }));
    z.setService(svc('web', { clusterIP: '10.96.0.20' }));
    expect(z.lookup('ext.default.svc.cluster.local', 'A')).toMatchObject({ rcode: 'NOERROR', answers: [{ type: 'CNAME', data: 'example.com' }], chase: 'example.com' });
    expect(data(z.lookup('alias.default.svc.cluster.local', 'A'))).toMatchObject({
      answers: ['alias.default.svc.cluster.local CNAME "web.default.svc.cluster.local"', 'web.default.svc.cluster.local A "10.96.0.20"'],
    });
    expect(data(z.lookup('ext.default.svc.cluster.local', 'CNAME'))).toMatchObject({ answers: ['ext.default.svc.cluster.local CNAME "example.com"'] });
    z.deleteService('default', 'ext');
    expect(data(z.lookup('ext.default.svc.cluster.local', 'A'))).toMatchObject({ rcode: 'NXDOMAIN' });
    expect(changes).toBe(4);
  });

  it('a custom domain; slices of another namespace or Service do not mix in', () => {
    const z = new ClusterZone({ domain: 'Corp.Example.', ttl: 30 });
    z.setService(svc('h', { clusterIP: 'None' }, 'a'));
    z.setSlice(slice('h-1', 'h', { endpoints: [{ addresses: ['10.1.0.1'] }] }, 'b'));
    z.setSlice(slice('h-2', 'other', { endpoints: [{ addresses: ['10.1.0.2'] }] }, 'a'));
    expect(data(z.lookup('h.a.svc.corp.example', 'A'))).toEqual({ rcode: 'NOERROR', answers: [], soa: true });
    expect(data(z.lookup('h.a.svc.cluster.local', 'A'))).toBe('forward');
    z.setSlice(slice('h-2', 'h', { endpoints: [{ addresses: ['10.1.0.2'] }] }, 'a'));
    expect(z.lookup('h.a.svc.corp.example', 'A')).toMatchObject({ answers: [{ data: '10.1.0.2', ttl: 30 }] });
  });

  it('pod names (pods insecure, the default): the IP the name spells; disabled: NXDOMAIN', () => {
    const z = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
    expect(data(z.lookup('10-244-0-5.default.pod.cluster.local', 'A'))).toMatchObject({ answers: ['10-244-0-5.default.pod.cluster.local A "10.244.0.5"'] });
    expect(data(z.lookup('fd00--5.default.pod.cluster.local', 'AAAA'))).toMatchObject({ answers: ['fd00--5.default.pod.cluster.local AAAA "fd00::5"'] });
    expect(data(z.lookup('10-244-0-5.default.pod.cluster.local', 'AAAA'))).toEqual({ rcode: 'NOERROR', answers: [], soa: true });
    expect(data(z.lookup('10-244-0-999.default.pod.cluster.local', 'A'))).toMatchObject({ rcode: 'NXDOMAIN' });
    const off = new ClusterZone({ domain: 'cluster.local', ttl: 5, pods: 'disabled' });
    expect(data(off.lookup('10-244-0-5.default.pod.cluster.local', 'A'))).toMatchObject({ rcode: 'NXDOMAIN' });
  });
});
