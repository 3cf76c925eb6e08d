// The server on real sockets (127.0.0.1): malformed packets, truncation and the TCP retry, EDNS,
// forwarding to an upstream (a small responder of the test's own on 127.0.0.1), SERVFAIL at once
// with no upstream and within the timeout with a silent one.
import { createSocket, type Socket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Forwarder } from './forwarder.ts';
import { Responder } from './responder.ts';
import { DnsServer } from './server.ts';
import { dataOf, encodeQuery, query, sendRaw } from './testing.ts';
import { SERVICE_NAME_LABEL } from './types.ts';
import { ClusterZone } from './zone.ts';

const servers: DnsServer[] = [];
const sockets: Socket[] = [];

async function serve(zone: ClusterZone, forwarder?: Forwarder): Promise<{ port: number; responder: Responder }> {
  const responder = new Responder(zone, forwarder);
  const s = new DnsServer(responder, { listen: [{ host: '127.0.0.1', port: 0 }], tcpIdleMs: 2000 });
  await s.start();
  servers.push(s);
  return { port: s.addresses[0].port, responder };
}

/** An upstream resolver for the test: answers A questions with 192.0.2.<n>, n counting the queries; `silent` answers nothing. */
async function upstream(silent = false): Promise<{ port: number; queries: () => number }> {
  const s = createSocket('udp4');
  sockets.push(s);
  let n = 0;
  s.on('message', (m, r) => {
    n++;
    if (silent) return;
    const q = dnsPacket.decode(m);
    const reply = dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_AVAILABLE | (q.flags! & dnsPacket.RECURSION_DESIRED),
      questions: q.questions,
      answers: [{ name: q.questions![0].name, type: 'A', class: 'IN', ttl: 60, data: `192.0.2.${n}` }],
    });
    s.send(reply, r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, queries: () => n };
}

let zone: ClusterZone;
let port: number;
let responder: Responder;

beforeAll(async () => {
  zone = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
  zone.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20' } });
  // a headless Service with 40 endpoints: its answer does not fit in 512 bytes
  zone.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'big', namespace: 'default' }, spec: { clusterIP: 'None' } });
  zone.setSlice({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'big-1', namespace: 'default', labels: { [SERVICE_NAME_LABEL]: 'big' } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: 40 }, (_, i) => ({ addresses: [`10.244.1.${i + 1}`] })),
  });
  const up = await upstream();
  ({ port, responder } = await serve(zone, new Forwarder({ upstreams: [{ host: '127.0.0.1', port: up.port }], timeoutMs: 500 })));
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const s of sockets) s.close();
});

describe('DNS server', () => {
  it('answers over UDP and TCP, echoing ID and question case', async () => {
    const u = await query(port, 'WeB.default.svc.cluster.local', 'A', { id: 4242 });
    expect(u.packet.id).toBe(4242);
    expect(u.packet.rcode).toBe('NOERROR');
    expect(u.packet.flag_aa).toBe(true);
    expect(u.packet.questions![0].name).toBe('WeB.default.svc.cluster.local');
    expect(dataOf(u.packet, 'A')).toEqual(['10.96.0.20']);
    // the second one comes from the precomputed answer: same bytes but the ID
    const again = await query(port, 'WeB.default.svc.cluster.local', 'A', { id: 7 });
    expect(again.raw.subarray(2)).toEqual(u.raw.subarray(2));
    const t = await query(port, 'web.default.svc.cluster.local', 'A', { tcp: true });
    expect(dataOf(t.packet, 'A')).toEqual(['10.96.0.20']);
  });

  it('truncates a UDP answer over 512 bytes (TC, no records); the TCP retry gets it all; EDNS raises the limit', async () => {
    const u = await query(port, 'big.default.svc.cluster.local', 'A');
    expect(u.packet.flag_tc).toBe(true);
    expect(u.packet.answers).toEqual([]);
    expect(u.raw.length).toBeLessThanOrEqual(512);
    const t = await query(port, 'big.default.svc.cluster.local', 'A', { tcp: true });
    expect(t.packet.flag_tc).toBe(false);
    expect(dataOf(t.packet, 'A')).toHaveLength(40);
    expect(t.raw.length).toBeGreaterThan(512);
    const e = await query(port, 'big.default.svc.cluster.local', 'A', { edns: 4096 });
    expect(e.packet.flag_tc).toBe(false);
    expect(dataOf(e.packet, 'A')).toHaveLength(40);
    expect(e.packet.additionals!.some((a) => a.type === 'OPT')).toBe(true);
  });

  it('malformed packets: FORMERR when there is a header, dropped otherwise; responses dropped; the server keeps answering', async () => {
    const good = encodeQuery('web.default.svc.cluster.local', 'A', { id: 99 });
    const cases: [string, Buffer, 'drop' | number][] = [
      ['short', Buffer.from([1, 2, 3]), 'drop'],
      ['a response', Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]), 'drop'],
      ['no question', Buffer.from([0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 1],
      ['two questions', Buffer.concat([good.subarray(0, 4), Buffer.from([0, 2]), good.subarray(6), good.subarray(12)]), 1],
      ['cut name', good.subarray(0, 20), 1],
      ['label past the end', Buffer.concat([good.subarray(0, 12), Buffer.from([63, 97, 98])]), 1],
      ['compression pointer in the question', Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]), 1],
      ['no type/class', Buffer.concat([good.subarray(0, good.length - 4)]), 1],
      ['garbage tail', Buffer.concat([good.subarray(0, 10), Buffer.from([0, 1]), good.subarray(12), Buffer.from([1, 2, 3, 4, 5])]), 1],
      ['opcode STATUS', Buffer.concat([good.subarray(0, 2), Buffer.from([0x10, 0]), good.subarray(4)]), 4],
    ];
    for (const [what, msg, want] of cases) {
      const r = await sendRaw(port, msg, { timeoutMs: want === 'drop' ? 300 : 2000 });
      if (want === 'drop') expect(r, what).toBeUndefined();
      else {
        expect(r, what).toBeDefined();
        expect(r!.readUInt16BE(0), what).toBe(msg.readUInt16BE(0));
        expect(r![2] & 0x80, what).toBe(0x80);
        expect(r![3] & 0x0f, what).toBe(want);
      }
    }
    // random bytes: whatever they are, no crash
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(Array.from({ length: 12 + Math.floor(Math.random() * 60) }, () => Math.floor(Math.random() * 256)));
      void sendRaw(port, b, { timeoutMs: 50 }).catch(() => {});
      responder.respond(b, false);
    }
    // over TCP too: a bad message gets FORMERR on the same connection
    const tr = await sendRaw(port, Buffer.from([0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9]), { tcp: true });
    expect(tr![3] & 0x0f).toBe(1);
    expect(dataOf((await query(port, 'web.default.svc.cluster.local', 'A')).packet, 'A')).toEqual(['10.96.0.20']);
  });

  it('forwards other names to the upstream, caches the answer by its TTL', async () => {
    const a = await query(port, 'example.com', 'A');
    expect(a.packet.rcode).toBe('NOERROR');
    expect(a.packet.flag_aa).toBe(false);
    const first = dataOf(a.packet, 'A');
    expect(first[0]).toMatch(/^192\.0\.2\.\d+$/);
    // cached: the same answer again (the upstream would count up)
    expect(dataOf((await query(port, 'example.com', 'A')).packet, 'A')).toEqual(first);
    // PTR of an IP the zone does not know goes upstream too
    expect((await query(port, '1.2.0.192.in-addr.arpa', 'PTR')).packet.rcode).toBe('NOERROR');
  });

  it('ExternalName: the CNAME, with the records of its target from upstream (a stub resolver does not follow CNAMEs)', async () => {
    zone.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'db.example.org' } });
    const r = (await query(port, 'ext.default.svc.cluster.local', 'A')).packet;
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers!.map((a) => `${a.name} ${a.type}`)).toEqual(['ext.default.svc.cluster.local CNAME', 'db.example.org A']);
    expect(dataOf(r, 'CNAME')).toEqual(['db.example.org']);
    expect(dataOf(r, 'A')[0]).toMatch(/^192\.0\.2\.\d+$/);
    expect(r.answers!.every((a) => ((a as { ttl?: number }).ttl ?? 0) <= 60)).toBe(true);
    // the Service changing drops the chased answer at once
    zone.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' } });
    expect(dataOf((await query(port, 'ext.default.svc.cluster.local', 'A')).packet, 'A')).toEqual(['10.96.0.20']);
  });

  it('no upstream: SERVFAIL at once; a silent upstream: SERVFAIL within the timeout, then from the cache', async () => {
    const none = await serve(zone, new Forwarder({ upstreams: [], timeoutMs: 500 }));
    const r = await query(none.port, 'example.org', 'A');
    expect(r.packet.rcode).toBe('SERVFAIL');
    expect(r.ms).toBeLessThan(100);
    // the zone still answers
    expect((await query(none.port, 'web.default.svc.cluster.local', 'A')).packet.rcode).toBe('NOERROR');

    const silent = await upstream(true);
    const slow = await serve(zone, new Forwarder({ upstreams: [{ host: '127.0.0.1', port: silent.port }], timeoutMs: 400 }));
    const [x, y] = await Promise.all([query(slow.port, 'example.net', 'A'), query(slow.port, 'example.net', 'A')]);
    expect([x.packet.rcode, y.packet.rcode]).toEqual(['SERVFAIL', 'SERVFAIL']);
    expect(x.ms).toBeGreaterThanOrEqual(350);
    expect(x.ms).toBeLessThan(1000);
    expect(silent.queries()).toBe(1); // both clients waited on one upstream query
    const z = await query(slow.port, 'example.net', 'A');
    expect(z.packet.rcode).toBe('SERVFAIL');
    expect(z.ms).toBeLessThan(100);
  });

  it('a server stopped with a forwarded query in flight drops its late answer quietly', async () => {
    const silent = await upstream(true);
    const s = await serve(zone, new Forwarder({ upstreams: [{ host: '127.0.0.1', port: silent.port }], timeoutMs: 150 }));
    const pending = sendRaw(s.port, encodeQuery('late.example', 'A'), { timeoutMs: 400 });
    await new Promise((r) => setTimeout(r, 50));
    await servers.pop()!.stop();
    expect(await pending).toBeUndefined();
    await new Promise((r) => setTimeout(r, 200)); // the SERVFAIL is made after the stop: no throw, no unhandled rejection
  });

  it('hot reload: a second server on the same address takes the sockets over; the first one stopping leaves them open', async () => {
    const zoneA = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
    zoneA.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', namespace: 'default' }, spec: { clusterIP: '10.96.0.1' } });
    const zoneB = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
    zoneB.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', namespace: 'default' }, spec: { clusterIP: '10.96.0.2' } });
    const a = new DnsServer(new Responder(zoneA), { listen: [{ host: '127.0.0.1', port: 0 }] });
    await a.start();
    const p = a.addresses[0].port;
    expect(dataOf((await query(p, 'x.default.svc.cluster.local', 'A')).packet, 'A')).toEqual(['10.96.0.1']);
    const b = new DnsServer(new Responder(zoneB), { listen: [{ host: '127.0.0.1', port: p }] });
    await b.start(); // no EADDRINUSE
    expect(dataOf((await query(p, 'x.default.svc.cluster.local', 'A')).packet, 'A')).toEqual(['10.96.0.2']);
    await a.stop();
    expect(dataOf((await query(p, 'x.default.svc.cluster.local', 'A')).packet, 'A')).toEqual(['10.96.0.2']);
    expect(dataOf((await query(p, 'x.default.svc.cluster.local', 'A', { tcp: true })).packet, 'A')).toEqual(['10.96.0.2']);
    await b.stop();
    // closed for good now: the port binds again
    const c = new DnsServer(new Responder(zoneA), { listen: [{ host: '127.0.0.1', port: p }] });
    await c.start();
    expect(dataOf((await query(p, 'x.default.svc.cluster.local', 'A')).packet, 'A')).toEqual(['10.96.0.1']);
    await c.stop();
  });
});
