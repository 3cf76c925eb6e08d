// End to end, as a user drives it: a real `skiff server` (child process), its NATS, this process as
// the node agent (serveNodeStreams for node "pf-node"), a host-network sandbox with busybox
// containers made through containerd's CRI; then `kubectl port-forward` (1.32: WebSocket-tunnelled
// SPDY, 1.20: SPDY) with real HTTP traffic to busybox httpd through containerd's PortForward,
// `kubectl attach` through containerd's Attach, and `skiff port-forward`. (The sandbox shares the
// host's network, so the pod's httpd listens on a loopback port of this machine; containerd dials it
// as it dials a port in a pod's own network namespace.)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriClient, sandboxOomProblem } from '@skiff/plugin-cri-containerd';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import { startSkiff, type SkiffProcess } from '../../integration/skiff-process.ts';
import { serveNodeStreams, type NodeStreamsServer } from './serve.ts';
import { startTestPod, type TestPod } from './testing.ts';
import { describeNeeding } from '../../scripts/test-parts.ts';

const SOCKET = '/run/containerd/containerd.sock';
const NODE = 'pf-node';
const NS = 'default';
const RUN = randomUUID().slice(0, 8);
const KUBECTL_132 = process.env.SKIFF_KUBECTL_132 ?? '/usr/bin/kubectl';
const KUBECTL_120 = process.env.SKIFF_KUBECTL_120;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP port nobody listens on now (the kernel's pick). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

describeNeeding(['root', 'containerd'], 'kubectl port-forward / attach through skiff server and a node agent', (missing) => {
  let home: string;
  let skiff: SkiffProcess;
  let nc: NatsConnection;
  let cri: CriClient;
  let agentServer: NodeStreamsServer;
  let pod: TestPod;
  let agent: Agent;
  let httpPort = 0;
  const ids: Record<string, string> = {};
  const children = new Set<ChildProcess>();

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await request(skiff.url + path, {
      method: method as 'GET',
      dispatcher: agent,
      headers: { authorization: `Bearer ${skiff.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.body.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, text, json };
  };

  beforeAll(async () => {
    if (missing()) return;
    cri = new CriClient({ socket: SOCKET, timeoutMs: 20_000 });
    const problem = sandboxOomProblem(await cri.status(true));
    if (problem) throw new Error(`this containerd cannot start sandboxes here: ${problem}`);
    home = mkdtempSync(join(tmpdir(), 'skiff-pf-e2e-'));
    const image = (await ensureTestImages(cri, join(home, 'images'))).busyboxImage;
    skiff = await startSkiff(home);
    agent = new Agent({ connect: { ca: skiff.ca } });
    nc = await connect({ servers: readFileSync(join(home, 'nats-url'), 'utf8').trim(), noAsyncTraces: true });
    agentServer = serveNodeStreams({ nc, nodeName: NODE, cri, stateCheckMs: 250 });

    const containers = ['web', 'att'];
    const created = await api('POST', `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pf', namespace: NS },
      spec: { nodeName: NODE, containers: containers.map((name) => ({ name, image: 'busybox', ...(name === 'att' ? { stdin: true, stdinOnce: true } : {}) })) },
    });
    expect(created.status, created.text).toBe(201);
    pod = await startTestPod(cri, { namespace: NS, name: 'pf', uid: created.json.metadata.uid, logRoot: join(home, 'pod-logs'), image, extraLabels: { 'skiff.io/test-run': RUN } });
    httpPort = await freePort();
    // an index page and a 1 MB file, served on a loopback port
    ids.web = await pod.run('web', ['sh', '-c', `mkdir -p /tmp/www && echo hello-from-pod > /tmp/www/index.html && head -c 1048576 /dev/zero | tr '\\0' b > /tmp/www/big && exec httpd -f -p 127.0.0.1:${httpPort} -h /tmp/www`]);
    // reads stdin until its end (stdinOnce: the first attach's end), answering each line
    ids.att = await pod.run('att', ['sh', '-c', 'echo ready; while read l; do echo "got $l"; done; echo bye'], 0, { stdin: true, stdinOnce: true });
    const cur = (await api('GET', `/api/v1/namespaces/${NS}/pods/pf`)).json;
    const running = (name: string) => ({ name, ready: true, restartCount: 0, image: 'busybox', imageID: '', containerID: `containerd://${ids[name]}`, state: { running: { startedAt: new Date().toISOString() } } });
    const st = await api('PUT', `/api/v1/namespaces/${NS}/pods/pf/status`, { ...cur, status: { phase: 'Running', containerStatuses: containers.map(running) } });
    expect(st.status, st.text).toBe(200);
    // httpd is up
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${httpPort}/`).then((r) => r.ok, () => false);
      if (ok) break;
      await sleep(50);
    }
  }, 180_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await agentServer?.stop();
    await nc?.close();
    await skiff?.kill('SIGTERM');
    await pod?.remove();
    for (const sb of (await cri?.listPodSandbox({ labelSelector: { 'skiff.io/test-run': RUN } }).catch(() => [])) ?? []) {
      await cri.stopPodSandbox(sb.id).catch(() => {});
      await cri.removePodSandbox(sb.id).catch(() => {});
    }
    cri?.close();
    await agent?.destroy();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 60_000);

  const kubectl = (bin: string, args: string[], input?: string) =>
    kubectlLike(bin, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', join(home, `cache-${bin === KUBECTL_132 ? '132' : '120'}`), ...args], input);
  const kubectlLike = (bin: string, args: string[], input?: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
      child.stdin.end(input ?? '');
    });

  /** Starts a forwarder (kubectl or skiff) and waits for it to listen; resolves with what it printed so far. */
  const forwarder = async (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    for (let i = 0; i < 300 && !/Forwarding from 127\.0\.0\.1:\d+/.test(out) && child.exitCode === null; i++) await sleep(50);
    const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
    if (!m) throw new Error(`the forwarder did not start: ${out}`);
    return {
      port: Number(m[1]),
      output: () => out,
      async stop() {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5_000)]);
        children.delete(child);
      },
    };
  };

  const httpThrough = async (port: number) => {
    const index = await fetch(`http://127.0.0.1:${port}/`);
    const text = await index.text();
    const big = Buffer.from(await (await fetch(`http://127.0.0.1:${port}/big`)).arrayBuffer());
    // ten connections at once, each its own stream pair
    const many = await Promise.all(Array.from({ length: 10 }, () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())));
    return { status: index.status, text, bigLength: big.length, bigOk: big.every((b) => b === 0x62), many };
  };

  describe.each([
    ['1.32', KUBECTL_132],
    ['1.20', KUBECTL_120],
  ])('kubectl %s', (version, bin) => {
    it('port-forward: HTTP to busybox httpd in the pod, a megabyte, ten connections at once', async () => {
      const local = await freePort();
      const f = await forwarder(bin!, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', join(home, `cache-${version}`), '-v=6', 'port-forward', 'pod/pf', `${local}:${httpPort}`]);
      try {
        expect(f.port).toBe(local);
        const r = await httpThrough(local);
        expect(r).toEqual({ status: 200, text: 'hello-from-pod\n', bigLength: 1048576, bigOk: true, many: Array(10).fill('hello-from-pod\n') });
        // 1.32 tries the WebSocket tunnel first and keeps it (no fallback to SPDY); 1.20 only knows SPDY
        if (version === '1.32') {
          expect(f.output()).toContain('Before WebSocket Upgrade Connection');
          expect(f.output()).not.toMatch(/fall(ing)? ?back|POST \S+\/portforward/i);
        } else {
          expect(f.output()).toMatch(/POST \S+\/portforward 101 Switching Protocols/);
        }
      } finally {
        await f.stop();
      }
    });

    it('port-forward to a port nothing listens on: kubectl reports the error, the forwarder lives on', async () => {
      const dead = await freePort();
      const f = await forwarder(bin!, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', join(home, `cache-${version}`), 'port-forward', 'pod/pf', `:${dead}`]);
      try {
        const failed = await fetch(`http://127.0.0.1:${f.port}/`).then(() => 'answered', () => 'failed');
        expect(failed).toBe('failed');
        for (let i = 0; i < 40 && !f.output().includes('error'); i++) await sleep(50);
        expect(f.output()).toMatch(new RegExp(`error.*${dead}`, 'i'));
      } finally {
        await f.stop();
      }
    });

    it('port-forward of a pod that is not there: kube\'s NotFound', async () => {
      const r = await kubectl(bin!, ['port-forward', 'pod/absent', '8080:80']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('pods "absent" not found');
    });
  });

  it('skiff port-forward: HTTP through it, a port spec check, a pod that is not running', async () => {
    const f = await forwarder(process.execPath, [process.env.SKIFF_BIN!, 'port-forward', '--kubeconfig', skiff.kubeconfig, 'pod/pf', `:${httpPort}`]);
    try {
      expect(f.output()).toContain(`-> ${httpPort}`);
      const r = await httpThrough(f.port);
      expect(r).toEqual({ status: 200, text: 'hello-from-pod\n', bigLength: 1048576, bigOk: true, many: Array(10).fill('hello-from-pod\n') });
      expect(f.output()).toContain(`Handling connection for ${f.port}`);
    } finally {
      await f.stop();
    }
    const sk = (args: string[]) => kubectlLike(process.execPath, [process.env.SKIFF_BIN!, 'port-forward', '--kubeconfig', skiff.kubeconfig, ...args]);
    expect((await sk(['pf', ':99999'])).err).toContain("error parsing remote port '99999'");
    expect((await sk(['absent', '80'])).err).toContain('pods "absent" not found');
  });

  it('WebSocket channels (as client-node speaks them): an HTTP request to httpd through ?ports=', async () => {
    const { default: WebSocket } = await import('ws');
    const w = new WebSocket(`${skiff.url.replace('https', 'wss')}/api/v1/namespaces/${NS}/pods/pf/portforward?ports=${httpPort}`, ['v4.channel.k8s.io'], { ca: skiff.ca, headers: { authorization: `Bearer ${skiff.token}` } });
    const frames: Buffer[] = [];
    w.on('message', (d: Buffer) => frames.push(d));
    await new Promise((r, j) => (w.once('open', r), w.once('error', j)));
    const data = () => Buffer.concat(frames.filter((f) => f[0] === 0).map((f) => f.subarray(1)).slice(1)).toString();
    w.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET / HTTP/1.0\r\nHost: pod\r\n\r\n')]));
    const closed = new Promise((r) => w.once('close', r));
    // HTTP/1.0: httpd answers and closes, so the port's connection ends and with it the WebSocket
    await Promise.race([closed, sleep(10_000)]);
    expect(data()).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
    expect(data()).toContain('hello-from-pod\n');
    w.terminate();
  });

  it('kubectl 1.32 attach -i: stdin reaches the container\'s own process, its output comes back, stdinOnce ends it', async () => {
    const r = await kubectl(KUBECTL_132, ['attach', '-i', 'pf', '-c', 'att'], 'one\ntwo\n');
    expect(r.err).not.toContain('error');
    expect(r.out).toContain('got one\ngot two\n');
    expect(r.code).toBe(0);
    // stdinOnce: the process saw the end of its stdin and exited
    for (let i = 0; i < 100 && (await cri.containerStatus(ids.att!)).status?.state === 'CONTAINER_RUNNING'; i++) await sleep(50);
    expect((await cri.containerStatus(ids.att!)).status?.state).toBe('CONTAINER_EXITED');
  });

  it('kubectl 1.20 attach (SPDY) to a running container: its output as it comes', async () => {
    // the web container prints nothing more: attach without stdin to it ends when kubectl is stopped
    const child = spawn(KUBECTL_120!, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', join(home, 'cache-1.20'), 'attach', 'pf', '-c', 'web'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    await sleep(1_500);
    expect(child.exitCode).toBe(null); // attached, waiting for output
    child.kill('SIGTERM');
    children.delete(child);
    expect(err).not.toMatch(/error|not found/i);
  });

  it('attach errors: a container that is not running, a pod nobody scheduled', async () => {
    const r = await kubectl(KUBECTL_132, ['attach', 'pf', '-c', 'nope']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/container nope is not valid for pod pf|not found/);
  });
});
