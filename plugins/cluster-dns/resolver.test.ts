// The server as a pod's resolver sees it: glibc's stub resolver (getent) in a network namespace of
// the test's own, reaching the server over a veth pair, with the resolv.conf kubelet writes for a
// ClusterFirst pod (`ip netns exec` mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf):
// short names through the search path with ndots:5, a StatefulSet pod's name, and an outside name
// failing fast (SERVFAIL: no upstream) instead of hanging. Needs root (namespaces, port 53).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { Forwarder } from './forwarder.ts';
import { Responder } from './responder.ts';
import { DnsServer } from './server.ts';
import { SERVICE_NAME_LABEL } from './types.ts';
import { ClusterZone } from './zone.ts';

const tag = Math.random().toString(36).slice(2, 7);
const NS = `skdns-${tag}`;
const HOST_IF = `skdh${tag}`;
const POD_IF = `skdp${tag}`;
// a /30 of the test's own
const octet = 1 + Math.floor(Math.random() * 250);
const HOST_IP = `10.250.${octet}.1`;
const POD_IP = `10.250.${octet}.2`;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
/** Runs a command in the test's netns (asynchronously: the server answers from this very process). */
const inPod = (...args: string[]): Promise<{ out: string; code: number | null; ms: number }> => {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', NS, ...args], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d));
    c.on('close', (code) => resolve({ out: out.trim(), code, ms: performance.now() - t0 }));
  });
};

describeNeeding(['root'], 'a pod resolver (glibc, its own netns) against the server', (missing) => {
  let server: DnsServer | undefined;

  beforeAll(async () => {
    if (missing()) return;
    ip('netns', 'add', NS);
    ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', POD_IF);
    ip('link', 'set', POD_IF, 'netns', NS);
    ip('addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF);
    ip('link', 'set', HOST_IF, 'up');
    ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${POD_IP}/30`, 'dev', POD_IF);
    ip('netns', 'exec', NS, 'ip', 'link', 'set', POD_IF, 'up');
    ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
    // what kubelet gives a ClusterFirst pod in namespace "shop"
    mkdirSync(`/etc/netns/${NS}`, { recursive: true });
    writeFileSync(`/etc/netns/${NS}/resolv.conf`, `search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${HOST_IP}\noptions ndots:5\n`);

    const zone = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
    zone.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '10.96.0.20' } });
    zone.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'other' }, spec: { clusterIP: '10.96.0.21' } });
    zone.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None' } });
    zone.setSlice({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'db-1', namespace: 'shop', labels: { [SERVICE_NAME_LABEL]: 'db' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.10'], hostname: 'db-0' }],
    });
    server = new DnsServer(new Responder(zone, new Forwarder({ upstreams: [], timeoutMs: 500 })), { listen: [{ host: HOST_IP, port: 53 }] });
    await server.start();
  });

  afterAll(async () => {
    await server?.stop();
    spawnSync('ip', ['netns', 'del', NS]); // takes the veth pair with it
    spawnSync('ip', ['link', 'del', HOST_IF]);
    rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
  });

  it('short names through the search path, another namespace by <svc>.<ns>, a StatefulSet pod by <pod>.<svc>', async () => {
    expect((await inPod('getent', 'hosts', 'web')).out).toMatch(/^10\.96\.0\.20\s+web\.shop\.svc\.cluster\.local$/);
    expect((await inPod('getent', 'hosts', 'api.other')).out).toMatch(/^10\.96\.0\.21\s+api\.other\.svc\.cluster\.local$/);
    expect((await inPod('getent', 'hosts', 'db-0.db')).out).toMatch(/^10\.244\.0\.10\s+db-0\.db\.shop\.svc\.cluster\.local$/);
    expect((await inPod('getent', 'hosts', 'web.shop.svc.cluster.local')).out).toMatch(/^10\.96\.0\.20\s/);
  });

  it('a name that is nowhere fails, fast: NXDOMAIN for each search domain, SERVFAIL outside (no upstream)', async () => {
    const r = await inPod('getent', 'hosts', 'nothing-here.example');
    expect(r.code).not.toBe(0);
    expect(r.ms).toBeLessThan(3000);
    const s = await inPod('getent', 'hosts', 'nope');
    expect(s.code).not.toBe(0);
    expect(s.ms).toBeLessThan(3000);
  });
});
