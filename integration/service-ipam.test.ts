// Service cluster IPs and node ports through a real `skiff server` and its REST API: 200 concurrent
// creates all unique (half of them through a second `skiff server` on the same NATS), kept across a server restart (new ones never collide), freed by deletes,
// kube's 422s for taken and bad values; `kubectl expose` shows a CLUSTER-IP, `kubectl get
// ipaddresses` the allocations.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsUrlOf } from './hollow-cluster.ts';
import { kubectlFor, type Kubectl } from './kubectl-client.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const home = mkdtempSync(join(tmpdir(), 'skiff-svcip-'));
let skiff: SkiffProcess;
let agent: Agent;
let kubectl: Kubectl;
beforeAll(async () => {
  skiff = await startSkiff(home);
  agent = new Agent({ connect: { ca: skiff.ca }, connections: 32 });
  kubectl = kubectlFor(skiff.kubeconfig, home);
});
afterAll(async () => {
  await agent?.close();
  await skiff?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, via: { s: SkiffProcess; a: Agent } = { s: skiff, a: agent }): Promise<{ status: number; json: any }> {
  const res = await request(via.s.url + path, {
    method,
    dispatcher: via.a,
    headers: { authorization: `Bearer ${via.s.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, json: await res.body.json() };
}
const NS = 'ipam';
const svcPath = `/api/v1/namespaces/${NS}/services`;
const svc = (name: string, spec: Record<string, unknown> = {}, ports: unknown[] = [{ port: 80 }]) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: name }, ports, ...spec },
});
const ipOf = (s: any): string => s.spec.clusterIP;
const portsOf = (s: any): number[] => s.spec.ports.map((p: any) => p.nodePort).filter((p: unknown) => p !== undefined);
const inRange = (ip: string) => /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/.test(ip);

describe('service IPAM through skiff server', () => {
  let first: any[] = [];

  it('200 concurrent creates (ClusterIP and NodePort): every address and node port unique', async () => {
    expect((await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })).status).toBe(201);
    // a second server process on the first one's NATS: its own kernel, plugin host and allocator
    const home2 = mkdtempSync(join(tmpdir(), 'skiff-svcip-2-'));
    const other = await startSkiff(home2, ['--nats', await natsUrlOf(home)]);
    const otherAgent = new Agent({ connect: { ca: other.ca }, connections: 32 });
    let res: { status: number; json: any }[];
    try {
      res = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          call('POST', svcPath, svc(`s${i}`, i % 2 ? { type: 'NodePort' } : {}, i % 2 ? [{ name: 'a', port: 80 }, { name: 'b', port: 443 }] : [{ port: 80 }]), i % 4 < 2 ? undefined : { s: other, a: otherAgent }),
        ),
      );
    } finally {
      await otherAgent.close();
      await other.kill('SIGTERM');
      rmSync(home2, { recursive: true, force: true });
    }
    expect(res.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    first = res.map((r) => r.json);
    const ips = first.map(ipOf);
    expect(ips.every(inRange)).toBe(true);
    expect(new Set(ips).size).toBe(200);
    expect(ips).not.toContain('10.96.0.10');
    const ports = first.flatMap(portsOf);
    expect(ports).toHaveLength(200);
    expect(new Set(ports).size).toBe(200);
    expect(ports.every((p) => p >= 30000 && p <= 32767)).toBe(true);
    const stored = (await call('GET', '/apis/networking.k8s.io/v1/ipaddresses')).json.items.filter((o: any) => o.spec.parentRef.namespace === NS);
    expect(stored).toHaveLength(200);
  }, 60_000);

  it('taken and bad values are 422s naming the field', async () => {
    const taken = await call('POST', svcPath, svc('dup', { clusterIP: ipOf(first[0]) }));
    expect(taken.status).toBe(422);
    expect(taken.json.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `Invalid value: ["${ipOf(first[0])}"]: failed to allocate IP ${ipOf(first[0])}: provided IP is already allocated` }]);
    const portTaken = await call('POST', svcPath, svc('dup-port', { type: 'NodePort' }, [{ port: 80, nodePort: portsOf(first[1])[0] }]));
    expect(portTaken.status).toBe(422);
    expect(portTaken.json.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.ports[0].nodePort', message: `Invalid value: ${portsOf(first[1])[0]}: provided port is already allocated` }]);
    const abc = await call('POST', svcPath, svc('abc', { clusterIP: 'abc' }));
    expect(abc.status).toBe(422);
    expect(abc.json.details.causes.map((c: any) => c.field)).toContain('spec.clusterIP');
    const outside = await call('POST', svcPath, svc('outside', { clusterIP: '10.0.0.5' }));
    expect(outside.status).toBe(422);
    expect(outside.json.message).toContain('The range of valid IPs is 10.96.0.0/12');
    const low = await call('POST', svcPath, svc('low', { type: 'NodePort' }, [{ port: 80, nodePort: 80 }]));
    expect(low.status).toBe(422);
    expect(low.json.details.causes[0]).toMatchObject({ field: 'spec.ports[0].nodePort', message: 'Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767' });
  });

  it('a delete frees the address and node ports for the next create at once', async () => {
    const s1 = first[1];
    expect((await call('DELETE', `${svcPath}/s1`)).status).toBe(200);
    const again = await call('POST', svcPath, svc('s1-again', { type: 'NodePort', clusterIP: ipOf(s1) }, [{ name: 'a', port: 80, nodePort: portsOf(s1)[0] }, { name: 'b', port: 443, nodePort: portsOf(s1)[1] }]));
    expect(again.status).toBe(201);
    expect(ipOf(again.json)).toBe(ipOf(s1));
    expect(portsOf(again.json)).toEqual(portsOf(s1));
  });

  it('across a server restart allocations are kept and new ones do not collide', async () => {
    await agent.close();
    await skiff.kill('SIGTERM');
    skiff = await startSkiff(home);
    agent = new Agent({ connect: { ca: skiff.ca }, connections: 32 });
    kubectl = kubectlFor(skiff.kubeconfig, home);
    const list = (await call('GET', svcPath)).json.items as any[];
    expect(list).toHaveLength(200);
    const byName = new Map(first.map((s) => [s.metadata.name, s]));
    for (const s of list) if (s.metadata.name !== 's1-again') expect([s.metadata.name, ipOf(s), portsOf(s)]).toEqual([s.metadata.name, ipOf(byName.get(s.metadata.name)), portsOf(byName.get(s.metadata.name))]);
    expect((await call('POST', svcPath, svc('dup-after', { clusterIP: ipOf(first[2]) }))).status).toBe(422);
    const fresh = await Promise.all(Array.from({ length: 50 }, (_, i) => call('POST', svcPath, svc(`r${i}`, { type: 'NodePort' }))));
    expect(fresh.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    const ips = [...list, ...fresh.map((r) => r.json)].map(ipOf);
    const ports = [...list, ...fresh.map((r) => r.json)].flatMap(portsOf);
    expect(new Set(ips).size).toBe(250);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).toHaveLength(250);
  }, 90_000);

  it('kubectl expose shows a CLUSTER-IP; kubectl sees the kubernetes Service and the IPAddresses', () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    const file = join(home, 'deploy.json');
    writeFileSync(file, JSON.stringify(deploy));
    expect(kubectl('apply', '-f', file).code).toBe(0);
    const exposed = kubectl('expose', 'deployment', 'web', '--port', '80', '-n', NS);
    expect(exposed.err).toBe('');
    expect(exposed.out.trim()).toBe('service/web exposed');
    const get = kubectl('get', 'svc', 'web', '-n', NS);
    const [header, row] = get.out.trim().split('\n');
    expect(header).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    const cols = row!.split(/\s+/);
    expect(cols.slice(0, 2)).toEqual(['web', 'ClusterIP']);
    expect(inRange(cols[2]!)).toBe(true);
    const k8s = kubectl.json('get', 'svc', 'kubernetes', '-n', 'default');
    expect(k8s.spec).toMatchObject({ clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] });
    const ips = kubectl('get', 'ipaddresses');
    expect(ips.code).toBe(0);
    expect(ips.out).toMatch(/^10\.96\.0\.1\s+services\/default\/kubernetes$/m);
    expect(ips.out).toContain(cols[2]!);
    expect(kubectl('get', 'servicecidrs').out).toContain('kubernetes');
    expect(kubectl('get', 'nodeportallocations').out).toContain(String(portsOf(first[3])[0]));
  });
});
