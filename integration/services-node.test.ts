// Services on one real node, as a user meets them: `skiff server` and `skiff agent` (with its
// service proxy and node-local cluster DNS), containerd and the CNI bridge on this machine, driven
// with kubectl. A Deployment of busybox httpd pods behind a Service made by `kubectl expose`; a
// client pod resolves it by its full DNS name and by its short name (resolv.conf's search path)
// through the cluster DNS, reaches it there, the answers come from every pod, and a scale-down
// changes the backends.
//
// Requests are busybox's `wget http://<name>` (libc's resolver, through resolv.conf's nameserver and
// search path), bounded by `timeout`: Debian's busybox wget segfaults on its own -T option
// (deploy/images/README.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get as httpGet } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CriClient } from '@skiff/plugin-cri-containerd';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import { kubectlFor, until, type Kubectl } from './kubectl-client.ts';
import { describeNeeding } from '../scripts/test-parts.ts';
import { skiffBin, startSkiff, type SkiffProcess } from './skiff-process.ts';

const NODE = `svc-node-${process.pid}`;
let home: string;
let skiff: SkiffProcess;
let kubectl: Kubectl;
let agent: ChildProcess | undefined;
let ingressPort: number;

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });

const apply = (yaml: string) => {
  const f = join(home, `m-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, yaml);
  const r = kubectl('apply', '-f', f);
  expect(r.code, r.err).toBe(0);
};
/** the address the client pod's resolver (busybox nslookup, resolv.conf's nameserver and search path) gives `name`, or '' */
const resolveInClient = (name: string) => {
  const r = kubectl('exec', 'client', '--', 'nslookup', name);
  // "Server: ... Address: <server>:53", then per answer "Name: <name>" and "Address: <ip>"
  const answers = r.out.slice(r.out.indexOf('Name:') >>> 0);
  const m = /^Address:\s*(\d+\.\d+\.\d+\.\d+)\s*$/m.exec(r.out.includes('Name:') ? answers : '');
  // busybox's nslookup tries every search domain and exits 1 when any of them is NXDOMAIN
  return m ? m[1]! : '';
};
/** what the client pod gets from http://<name>/ (resolved in the pod: the answering pod's name), '' on failure */
const fetchFromClient = (name: string) => {
  const r = kubectl('exec', 'client', '--', 'timeout', '2', 'wget', '-qO-', `http://${name}/`);
  return r.code === 0 ? r.out.trim() : '';
};

describeNeeding(['root', 'containerd'], 'Services on a node', (missing) => {
  beforeAll(async () => {
    if (missing()) return;
    home = mkdtempSync(join(tmpdir(), 'skiff-svc-'));
    const cri = new CriClient();
    try {
      await ensureTestImages(cri, join(home, 'images'), 'docker.io/library/busybox:latest');
    } finally {
      cri.close();
    }
    skiff = await startSkiff(home);
    kubectl = kubectlFor(skiff.kubeconfig, home);
    ingressPort = await freePort();
    const ingress = ['--ingress', '--ingress-address', '127.0.0.1', '--ingress-http-port', String(ingressPort), '--ingress-https-port', '-1'];
    agent = spawn(process.execPath, [skiffBin(), 'agent', '--home', home, '--name', NODE, '--root-dir', join(home, 'kubelet'), '--log-level', 'warn', ...ingress], { stdio: ['ignore', 'ignore', 'inherit'] });
    await until(() => kubectl('get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}').out === 'True', 'the node to be Ready', 60_000);
  }, 180_000);

  afterAll(async () => {
    if (skiff) {
      kubectl('delete', 'deployment', 'web', '--ignore-not-found');
      kubectl('delete', 'ingress', 'web', '--ignore-not-found');
      kubectl('delete', 'pod', 'client', '--ignore-not-found', '--grace-period=0', '--force');
      await new Promise((r) => setTimeout(r, 1500));
    }
    agent?.kill('SIGTERM');
    await skiff?.kill('SIGTERM');
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('a Deployment behind a Service is reached from a pod by full and short DNS name, from every pod; scaling changes the backends', async () => {
    apply(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
        readinessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
`);
    const exposed = kubectl('expose', 'deployment', 'web', '--port', '80', '--target-port', '8080');
    expect(exposed.code, exposed.err).toBe(0);
    const svc = kubectl.json('get', 'svc', 'web');
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
    await until(() => kubectl('get', 'pod', 'client', '-o', 'jsonpath={.status.phase}').out === 'Running', 'the client pod to run', 60_000);
    const pods = await until(() => {
      const l = kubectl.json('get', 'pods', '-l', 'app=web');
      const ready = l.items.filter((p: { status?: { conditions?: { type: string; status: string }[] } }) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 && ready.map((p: { metadata: { name: string } }) => p.metadata.name).sort();
    }, 'two ready web pods', 60_000);

    // the pod's resolver: the node-local cluster DNS at kube-dns's address, the search path
    const conf = kubectl('exec', 'client', '--', 'cat', '/etc/resolv.conf').out;
    expect(conf).toContain('nameserver 10.96.0.10');
    expect(conf).toMatch(/search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/);
    expect(conf).toContain('ndots:5');
    expect(resolveInClient('web.default.svc.cluster.local')).toBe(svc.spec.clusterIP);
    expect(resolveInClient('web')).toBe(svc.spec.clusterIP);
    expect(resolveInClient('kubernetes.default.svc.cluster.local')).toBe('10.96.0.1');

    // by the full name, from every backend; by the short name too
    const seen = new Set<string>();
    await until(() => {
      const who = fetchFromClient('web.default.svc.cluster.local');
      if (who) seen.add(who);
      return seen.size === 2;
    }, 'answers from both web pods by the full name', 60_000);
    expect([...seen].sort()).toEqual(pods);
    await until(() => pods.includes(fetchFromClient('web')), 'an answer by the short name', 20_000);

    // scale to 1: only the remaining pod answers
    expect(kubectl('scale', 'deployment', 'web', '--replicas', '1').code).toBe(0);
    const left = await until(() => {
      const l = kubectl.json('get', 'pods', '-l', 'app=web').items.filter((p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp);
      return l.length === 1 && l[0].metadata.name;
    }, 'one web pod', 30_000);
    await until(() => {
      const answers = Array.from({ length: 6 }, () => fetchFromClient('web'));
      return answers.every((a) => a === left);
    }, 'only the remaining pod answers', 30_000);
  }, 240_000);
  it("an Ingress on the node's proxy sends a host's requests to the Service's pods", async () => {
    apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - host: a.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
`);
    const pods = kubectl.json('get', 'pods', '-l', 'app=web').items.map((p: { metadata: { name: string } }) => p.metadata.name);
    // node:http, whose Host header is the one given (fetch's is the URL's)
    const get = (host: string) =>
      new Promise<{ status: number; body: string } | undefined>((resolve) => {
        const req = httpGet({ host: '127.0.0.1', port: ingressPort, path: '/', headers: { host } }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
        });
        req.on('error', () => resolve(undefined));
      });
    let ok: { status: number; body: string } | undefined;
    for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 250))) {
      ok = await get('a.example');
      if (ok?.status === 200) break;
    }
    expect(ok?.status, 'the Ingress answers for a.example').toBe(200);
    expect(pods).toContain(ok!.body);
    // no rule for another host: 404
    expect((await get('b.example'))?.status).toBe(404);
    // the Ingress's status names the node's address
    await until(() => (kubectl.json('get', 'ingress', 'web').status?.loadBalancer?.ingress ?? []).length > 0, 'the Ingress status', 10_000);
  }, 60_000);

  it('a NetworkPolicy denying ingress to web blocks the client; a rule for the client label lets it through again', async () => {
    const policy = (ingress: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchLabels: {app: web}
${ingress}`;
    await until(() => fetchFromClient('web') !== '', 'web answers before any policy', 30_000);
    apply(policy(''));
    // the node's network-policy plugin drops the client's connections to web (DNS is node-local: unaffected)
    await until(() => resolveInClient('web') !== '' && fetchFromClient('web') === '', 'the client blocked', 30_000);
    const table = kubectl('get', 'netpol');
    expect(table.out).toMatch(/^NAME\s+POD-SELECTOR\s+AGE/);
    expect(table.out).toMatch(/^web\s+app=web\s/m);
    expect(kubectl('label', 'pod', 'client', 'role=client').code).toBe(0);
    apply(policy(`  ingress:
  - from:
    - podSelector:
        matchLabels: {role: client}
`));
    await until(() => fetchFromClient('web') !== '', 'the client let through', 30_000);
    expect(kubectl('delete', 'netpol', 'web').code).toBe(0);
  }, 120_000);
});
