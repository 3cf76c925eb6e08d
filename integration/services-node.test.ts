// Services on one real node, as a user meets them: `skiff up` (the control plane and a node agent
// with its service proxy, node-local cluster DNS and Ingress proxy), containerd and the CNI bridge
// on this machine, driven with kubectl.
// - A Deployment of busybox httpd pods behind a Service made by `kubectl expose`; a client pod
//   resolves it by its full DNS name and by its short name (resolv.conf's search path) through the
//   cluster DNS, reaches it there, the answers come from every pod, and a scale-down changes the
//   backends.
// - A StatefulSet's pods under its headless Service: `web-0.sts.default.svc.cluster.local` names
//   web-0's IP, the Service's name names every pod.
// - An Ingress over TLS with a certificate from a Secret (`kubectl create secret tls`), checked with
//   SNI from the host: Host a.example to one Service, its path /b to another, the default backend
//   for other hosts, with the proxy's default certificate. `skiff up`'s Ingress proxy starts while
//   its HTTPS port is taken by another process, says so (log, Event on the Node) and listens once
//   the port is free.
// - A NetworkPolicy blocks and lets through.
//
// Requests are busybox's `wget http://<name>` (libc's resolver, through resolv.conf's nameserver and
// search path), bounded by `timeout`: Debian's busybox wget segfaults on its own -T option
// (deploy/images/README.md). Addresses are also checked with busybox's nslookup.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../scripts/test-parts.ts';
import { HOST_NODE_START_MS, HOST_NODE_STOP_MS, HostNode } from './host-node.ts';
import { until } from './kubectl-client.ts';

let httpPort = 0;
let httpsPort = 0;
/** another process's hold on the HTTPS port when `skiff up` starts */
let blocker: Server | undefined;
const host = new HostNode({
  name: 'svc-node',
  mode: 'up',
  capture: true,
  serverArgs: () => ['--ingress-http-port', String(httpPort), '--ingress-https-port', String(httpsPort)],
});
const kubectl = (...args: string[]) => host.kubectl(...args);
const json = (...args: string[]) => host.kubectl.json(...args);
const apply = (yaml: string) => host.apply(yaml);

const listen = (port = 0) =>
  new Promise<Server>((resolve, reject) => {
    const srv = createServer().once('error', reject).listen(port, '127.0.0.1', () => resolve(srv));
  });
const portOf = (s: Server) => (s.address() as AddressInfo).port;
const freePort = async () => {
  const s = await listen();
  const port = portOf(s);
  await new Promise((r) => s.close(r));
  return port;
};

/** every address the client pod's resolver (busybox nslookup, resolv.conf's nameserver and search path) gives `name` */
const resolveAllInClient = (name: string): string[] => {
  const r = kubectl('exec', 'client', '--', 'nslookup', name);
  // "Server: ... Address: <server>:53", then per answer "Name: <name>" and "Address: <ip>"
  const at = r.out.indexOf('Name:');
  // busybox's nslookup tries every search domain and exits 1 when any of them is NXDOMAIN
  if (at < 0) return [];
  return [...r.out.slice(at).matchAll(/^Address:\s*(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]!);
};
/** the (first) address the client pod's resolver gives `name`, or '' */
const resolveInClient = (name: string) => resolveAllInClient(name)[0] ?? '';
/** what the client pod gets from http://<host>/ (resolved in the pod: the answering pod's name), '' on failure */
const fetchFromClient = (host: string) => {
  const r = kubectl('exec', 'client', '--', 'timeout', '2', 'wget', '-qO-', `http://${host}/`);
  return r.code === 0 ? r.out.trim() : '';
};
/** the names of the ready pods `selector` picks, sorted */
const readyPods = (selector: string): string[] =>
  json('get', 'pods', '-l', selector)
    .items.filter((p: { metadata: { deletionTimestamp?: string }; status?: { conditions?: { type: string; status: string }[] } }) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p: { metadata: { name: string } }) => p.metadata.name)
    .sort();
/** a Deployment of busybox httpd pods that answer with their name (at / and at /<extra>) */
const httpd = (name: string, replicas: number, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html${extra ? ` && hostname > /www/${extra}` : ''} && exec httpd -f -p 8080 -h /www"]
        readinessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 1
`;

describeNeeding(['root', 'containerd'], 'Services on a node', (missing) => {
  beforeAll(async () => {
    if (missing()) return;
    httpPort = await freePort();
    blocker = await listen();
    httpsPort = portOf(blocker);
    await host.start();
  }, HOST_NODE_START_MS);

  afterAll(
    () =>
      host.stop(() => {
        kubectl('delete', 'ingress', 'web', '--ignore-not-found');
        kubectl('delete', 'deployment', 'web', 'b', '--ignore-not-found');
        kubectl('delete', 'statefulset', 'web', '--ignore-not-found');
        kubectl('delete', 'pod', 'client', 'web-0', 'web-1', '--ignore-not-found', '--grace-period=0', '--force');
        blocker?.close();
      }),
    HOST_NODE_STOP_MS,
  );

  it("skiff up's Ingress proxy starts while its HTTPS port is taken, says so in the log and on the Node, and listens once the port is free", async () => {
    const where = `127.0.0.1:${httpsPort}`;
    // the node runs (it is Ready), the log says what is wrong and what happens next
    // (waited for: the node can be Ready before this process has read the agent's log from the pipe)
    const failed = `ingress proxy cannot listen for https on ${where}: the port is taken by another process (EADDRINUSE); trying again every 5 s`;
    await until(() => host.skiff.output().includes(failed), 'the log line saying the HTTPS port is taken', 20_000);
    // the banner, once the agent's plugins have all started
    await until(() => host.skiff.output().includes(`Ingress proxy on http://127.0.0.1:${httpPort} and https://127.0.0.1:${httpsPort}`), "up's banner naming the Ingress addresses", 30_000);
    const describe = () => kubectl('describe', 'node', host.nodeName).out;
    await until(() => /Warning\s+IngressListenFailed\s/.test(describe()), 'the Warning Event in kubectl describe node', 20_000);
    expect(describe()).toContain(`Ingress proxy cannot listen for HTTPS on ${where}: the port is taken by another process (EADDRINUSE)`);
    // HTTP serves meanwhile
    const r = await request('http', 'nothing.example');
    expect(r?.status).toBe(404);
    await new Promise((r) => blocker!.close(r));
    blocker = undefined;
    await until(() => /Normal\s+IngressListening\s/.test(describe()), 'the Normal Event once it listens', 20_000);
    expect(describe()).toContain(`Ingress proxy is listening for HTTPS on ${where}`);
    expect((await request('https', 'nothing.example', '/', { insecure: true }))?.status).toBe(404);
  }, 60_000);

  it('a Deployment behind a Service is reached from a pod by full and short DNS name, from every pod; scaling changes the backends', async () => {
    apply(`${httpd('web', 2)}---
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
    const svc = json('get', 'svc', 'web');
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
    await until(() => kubectl('get', 'pod', 'client', '-o', 'jsonpath={.status.phase}').out === 'Running', 'the client pod to run', 60_000);
    const pods = await until(() => {
      const ready = readyPods('app=web');
      return ready.length === 2 && ready;
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
      const l = json('get', 'pods', '-l', 'app=web').items.filter((p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp);
      return l.length === 1 && l[0].metadata.name;
    }, 'one web pod', 30_000);
    await until(() => {
      const answers = Array.from({ length: 6 }, () => fetchFromClient('web'));
      return answers.every((a) => a === left);
    }, 'only the remaining pod answers', 30_000);
  }, 240_000);

  it("a StatefulSet's pod is found by its name under the headless Service: web-0.sts.default.svc.cluster.local", async () => {
    apply(`apiVersion: v1
kind: Service
metadata:
  name: sts
spec:
  clusterIP: None
  selector: {app: sts}
  ports:
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: sts
  replicas: 2
  selector:
    matchLabels: {app: sts}
  template:
    metadata:
      labels: {app: sts}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
        readinessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 1
`);
    expect(json('get', 'svc', 'sts').spec.clusterIP).toBe('None');
    await until(() => readyPods('app=sts').join() === 'web-0,web-1', 'web-0 and web-1 ready', 90_000);
    const ip = (pod: string) => json('get', 'pod', pod).status.podIP as string;
    const [ip0, ip1] = [ip('web-0'), ip('web-1')];
    expect(ip0).not.toBe(ip1);
    // each pod by its own name (the FQDN, with the root's dot: no search domain is tried)
    await until(() => resolveInClient('web-0.sts.default.svc.cluster.local.') === ip0, "web-0's name to answer its IP", 20_000);
    expect(resolveInClient('web-1.sts.default.svc.cluster.local.')).toBe(ip1);
    // the Service's own name: every ready pod (busybox's nslookup applies the search path only to
    // names without a dot, so `web-0.sts` is not asked here)
    expect(resolveAllInClient('sts.default.svc.cluster.local.').sort()).toEqual([ip0, ip1].sort());
    // the pod behind the name: its hostname is web-0, and it answers there
    expect(kubectl('exec', 'web-0', '--', 'hostname').out.trim()).toBe('web-0');
    expect(fetchFromClient('web-0.sts.default.svc.cluster.local:8080')).toBe('web-0');
  }, 150_000);

  it('an Ingress over TLS (a certificate from a Secret, by SNI): Host a.example to one Service, path /b to another, the default backend for the rest', async () => {
    // a certificate for a.example, made here with openssl, into a kubernetes.io/tls Secret by kubectl
    const crt = join(host.home, 'a.crt');
    const key = join(host.home, 'a.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=a.example', '-addext', 'subjectAltName=DNS:a.example', '-keyout', key, '-out', crt], { stdio: 'ignore' });
    const secret = kubectl('create', 'secret', 'tls', 'a-tls', '--cert', crt, '--key', key);
    expect(secret.code, secret.err).toBe(0);
    expect(json('get', 'secret', 'a-tls').type).toBe('kubernetes.io/tls');
    const ca = readFileSync(crt, 'utf8');
    apply(httpd('b', 1, 'b'));
    expect(kubectl('expose', 'deployment', 'b', '--port', '80', '--target-port', '8080').code).toBe(0);
    apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  defaultBackend:
    service: {name: sts, port: {name: http}}
  tls:
  - hosts: [a.example]
    secretName: a-tls
  rules:
  - host: a.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
      - path: /b
        pathType: Prefix
        backend:
          service: {name: b, port: {number: 80}}
`);
    const web = readyPods('app=web');
    const b = await until(() => {
      const r = readyPods('app=b');
      return r.length === 1 && r;
    }, 'the b pod ready', 60_000);

    // a.example with SNI, verified against the Secret's certificate (nothing else passes)
    const a = await until(async () => {
      const r = await request('https', 'a.example', '/', { ca });
      return r?.status === 200 && r;
    }, 'https://a.example/ through the Ingress', 30_000);
    expect(web).toContain(a.body);
    expect(a.cert?.fingerprint256).toBe(new X509Certificate(ca).fingerprint256);
    const bAnswer = await until(async () => {
      const r = await request('https', 'a.example', '/b', { ca });
      return r?.status === 200 && r;
    }, 'https://a.example/b through the Ingress', 30_000);
    expect(b).toContain(bAnswer.body);
    // another host: the default backend (the StatefulSet's pods), with the proxy's default certificate
    const other = await request('https', 'other.example', '/', { insecure: true });
    expect(other?.status).toBe(200);
    expect(['web-0', 'web-1']).toContain(other!.body);
    expect(other!.cert?.subject).toContain('CN=Skiff Ingress Proxy Default Certificate');
    await expect(request('https', 'other.example', '/', { ca, strict: true })).rejects.toThrow();
    // plain HTTP routes the same
    expect(web).toContain((await request('http', 'a.example', '/'))?.body);
    expect(b).toContain((await request('http', 'a.example', '/b'))?.body);
    // the Ingress's status names the node's address; kubectl shows its hosts and ports
    await until(() => (json('get', 'ingress', 'web').status?.loadBalancer?.ingress ?? []).length > 0, 'the Ingress status', 10_000);
    expect(kubectl('get', 'ingress', 'web').out).toMatch(/^web\s+\S+\s+a\.example\s+\d+\.\d+\.\d+\.\d+\s+80, 443\s/m);
  }, 150_000);

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

interface Answer {
  status: number;
  body: string;
  /** HTTPS: the certificate the proxy served */
  cert?: { fingerprint256: string; subject: string };
}

/**
 * A request to the node's Ingress proxy from this host, with `Host: <host>` and, over HTTPS, SNI
 * <host>: verified against `ca` (`strict`: a failed check rejects; else undefined), or `insecure`.
 * Undefined when the request fails.
 */
function request(proto: 'http' | 'https', hostName: string, path = '/', o: { ca?: string; insecure?: boolean; strict?: boolean } = {}): Promise<Answer | undefined> {
  return new Promise((resolve, reject) => {
    const done = (res: import('node:http').IncomingMessage) => {
      let body = '';
      const sock = res.socket as TLSSocket;
      const peer = proto === 'https' ? sock.getPeerCertificate() : undefined;
      res.on('data', (c) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: body.trim(),
          cert: peer ? { fingerprint256: peer.fingerprint256, subject: Object.entries(peer.subject).map(([k, v]) => `${k}=${v}`).join(', ') } : undefined,
        }),
      );
    };
    // node:http(s), whose Host header is the one given (fetch's is the URL's)
    const req =
      proto === 'http'
        ? httpGet({ host: '127.0.0.1', port: httpPort, path, headers: { host: hostName } }, done)
        : httpsRequest({ host: '127.0.0.1', port: httpsPort, path, servername: hostName, headers: { host: hostName }, ca: o.ca, rejectUnauthorized: !o.insecure, agent: false }, done).end();
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => (o.strict ? reject(e) : resolve(undefined)));
  });
}
