// End to end, as a user drives it: a real `skiff server` (child process), its NATS, this process as
// the node agent (serveNodeStreams for node "e2e-node"), a sandbox and busybox containers made
// through containerd's CRI for a Pod object bound to that node; then `kubectl logs` / `kubectl
// exec` (1.32 over WebSocket, Debian's 1.20 over SPDY), `skiff logs` / `skiff exec`, and the REST
// errors.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriClient, sandboxOomProblem } from '@skiff/plugin-cri-containerd';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import { runSkiff, startSkiff, type SkiffProcess } from '../../integration/skiff-process.ts';
import { subjects } from './protocol.ts';
import { serveNodeStreams, type NodeStreamsServer } from './serve.ts';
import { startTestPod, type TestPod } from './testing.ts';
import { describeNeeding } from '../../scripts/test-parts.ts';

const SOCKET = '/run/containerd/containerd.sock';
const NODE = 'e2e-node';
const NS = 'default';
const RUN = randomUUID().slice(0, 8);
const KUBECTL_132 = process.env.SKIFF_KUBECTL_132 ?? '/usr/bin/kubectl';
const KUBECTL_120 = process.env.SKIFF_KUBECTL_120;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeNeeding(['root', 'containerd'], 'kubectl logs / exec through skiff server and a node agent', (missing) => {
  let home: string;
  let skiff: SkiffProcess;
  let nc: NatsConnection;
  let cri: CriClient;
  let agentServer: NodeStreamsServer;
  let pod: TestPod;
  let agent: Agent;
  const ids: Record<string, string> = {};
  let appStartedAt = 0;
  const timings: Record<string, number> = {};

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
    return { status: res.statusCode, text, json, type: String(res.headers['content-type'] ?? '') };
  };

  const podObject = (name: string, containers: string[], nodeName?: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
  });

  const setStatus = async (name: string, containerStatuses: unknown[]) => {
    const cur = (await api('GET', `/api/v1/namespaces/${NS}/pods/${name}`)).json;
    const r = await api('PUT', `/api/v1/namespaces/${NS}/pods/${name}/status`, { ...cur, status: { phase: 'Running', containerStatuses } });
    expect(r.status, r.text).toBe(200);
  };
  const running = (name: string, id: string) => ({
    name, ready: true, restartCount: 0, image: 'busybox', imageID: '', containerID: `containerd://${id}`, state: { running: { startedAt: new Date().toISOString() } },
  });

  beforeAll(async () => {
    if (missing()) return;
    const t0 = Date.now();
    cri = new CriClient({ socket: SOCKET, timeoutMs: 20_000 });
    const problem = sandboxOomProblem(await cri.status(true));
    if (problem) throw new Error(`this containerd cannot start sandboxes here: ${problem}`);
    home = mkdtempSync(join(tmpdir(), 'skiff-streams-e2e-'));
    const image = (await ensureTestImages(cri, join(home, 'images'))).busyboxImage;
    skiff = await startSkiff(home);
    agent = new Agent({ connect: { ca: skiff.ca } });
    nc = await connect({ servers: readFileSync(join(home, 'nats-url'), 'utf8').trim(), noAsyncTraces: true });
    agentServer = serveNodeStreams({ nc, nodeName: NODE, cri, stateCheckMs: 250 });

    const created = await api('POST', `/api/v1/namespaces/${NS}/pods`, podObject('web', ['app', 'side', 'ticker', 'ticker20'], NODE));
    expect(created.status, created.text).toBe(201);
    pod = await startTestPod(cri, { namespace: NS, name: 'web', uid: created.json.metadata.uid, logRoot: join(home, 'pod-logs'), image, extraLabels: { 'skiff.io/test-run': RUN } });
    appStartedAt = Date.now();
    ids.app = await pod.run('app', ['sh', '-c', 'i=1; while [ $i -le 10 ]; do echo "line $i"; i=$((i+1)); done; exec sleep 1000']);
    ids.side = await pod.run('side', ['sleep', '1000']);
    for (const t of ['ticker', 'ticker20']) ids[t] = await pod.run(t, ['sh', '-c', 'i=1; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done']);
    await setStatus('web', ['app', 'side', 'ticker', 'ticker20'].map((c) => running(c, ids[c]!)));
    // a pod nobody scheduled, one whose container waits, one on a node without an agent, one on a node that never answers
    for (const [name, node] of [['pending', undefined], ['waiting', NODE], ['orphan', 'no-agent-node'], ['slow', 'slow-node']] as const) {
      expect((await api('POST', `/api/v1/namespaces/${NS}/pods`, podObject(name, ['app'], node))).status).toBe(201);
    }
    await setStatus('waiting', [{ name: 'app', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }]);
    for (const name of ['orphan', 'slow']) await setStatus(name, [running('app', 'x')]);
    // the app container has written its lines
    const logPath = (await cri.containerStatus(ids.app)).status!.logPath;
    for (let i = 0; i < 100 && !readFileSync(logPath, 'utf8').includes('line 10'); i++) await sleep(50);
    timings.setupMs = Date.now() - t0;
  }, 180_000);

  afterAll(async () => {
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
    console.info(`node-streams e2e timings (ms): ${JSON.stringify(timings)}`);
  }, 60_000);

  // asynchronous: the agent answering kubectl runs in this very process
  const kubectl = (bin: string, args: string[], input?: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const cache = join(home, `cache-${bin === KUBECTL_132 ? '132' : '120'}`);
      const child = spawn(bin, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', cache, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
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
  const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join('');

  describe.each([
    ['1.32', KUBECTL_132],
    ['1.20', KUBECTL_120],
  ])('kubectl %s', (version, bin) => {
    it('is installed', () => {
      expect(bin && existsSync(bin), `kubectl ${version} at ${bin}`).toBeTruthy();
    });

    it('logs: all, --tail, --timestamps, --since, --limit-bytes; defaults to the first container', async () => {
      const t0 = Date.now();
      expect(await kubectl(bin!, ['logs', 'web', '-c', 'app'])).toEqual({ code: 0, out: lines(1, 10), err: '' });
      expect((await kubectl(bin!, ['logs', 'web', '-c', 'app', '--tail=3'])).out).toBe(lines(8, 10));
      const ts = (await kubectl(bin!, ['logs', 'web', '-c', 'app', '--tail=2', '--timestamps'])).out.split('\n');
      expect(ts[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) line 9$/);
      expect(ts[1]).toMatch(/ line 10$/);
      expect((await kubectl(bin!, ['logs', 'web', '-c', 'app', '--since=1h'])).out).toBe(lines(1, 10));
      expect((await kubectl(bin!, ['logs', 'web', '-c', 'app', '--limit-bytes=12'])).out).toBe('line 1\nline ');
      const dflt = await kubectl(bin!, ['logs', 'web', '--tail=1']);
      if (version === '1.32') {
        // kubectl picks the first container itself
        expect(dflt.out).toBe('line 10\n');
        expect(dflt.err).toContain('Defaulted container "app" out of: app, side, ticker, ticker20');
      } else {
        // 1.20 leaves it to the server
        expect(dflt.err).toContain('a container name must be specified for pod web, choose one of: [app side ticker ticker20]');
      }
      timings[`kubectl ${version} logs (6 runs)`] = Date.now() - t0;
    });

    it('logs --since skips what is older', async () => {
      // the app container wrote its lines at start, seconds ago
      await sleep(Math.max(0, 2_200 - (Date.now() - appStartedAt)));
      expect((await kubectl(bin!, ['logs', 'web', '-c', 'app', '--since=1s'])).out).toBe('');
    });

    it('logs --previous without a previous container: kube\'s error', async () => {
      const r = await kubectl(bin!, ['logs', 'web', '-c', 'app', '--previous']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('previous terminated container "app" in pod "web" not found');
    });

    it('logs of a waiting container, of an unknown pod, of an unknown container', async () => {
      expect((await kubectl(bin!, ['logs', 'waiting'])).err).toContain('container "app" in pod "waiting" is waiting to start: ContainerCreating');
      expect((await kubectl(bin!, ['logs', 'nope'])).err).toContain('pods "nope" not found');
      expect((await kubectl(bin!, ['logs', 'web', '-c', 'nope'])).err).toContain('container nope is not valid for pod web');
    });

    it('exec: echo hi, stdin piped to cat, exit codes', async () => {
      const t0 = Date.now();
      const hi = await kubectl(bin!, ['exec', '-v=4', 'web', '-c', 'app', '--', 'echo', 'hi']);
      expect(hi).toMatchObject({ code: 0, out: 'hi\n' });
      // 1.32 speaks WebSocket v5 (no fallback to SPDY); 1.20 only knows SPDY
      if (version === '1.32') expect(hi.err).toContain('The subprotocol is v5.channel.k8s.io');
      else expect(hi.err).not.toContain('subprotocol');
      expect(await kubectl(bin!, ['exec', '-i', 'web', '-c', 'app', '--', 'cat'], 'hello\nfrom stdin\n')).toMatchObject({ code: 0, out: 'hello\nfrom stdin\n' });
      const three = await kubectl(bin!, ['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(three).toMatchObject({ code: 3, out: 'out\n' });
      expect(three.err).toContain('err\n');
      expect(three.err).toContain('command terminated with exit code 3');
      timings[`kubectl ${version} exec (3 runs)`] = Date.now() - t0;
    });

    it('exec moves megabytes both ways (flow control end to end)', async () => {
      const t0 = Date.now();
      const input = 'z'.repeat(2_000_000);
      expect(await kubectl(bin!, ['exec', '-i', 'web', '-c', 'app', '--', 'wc', '-c'], input)).toMatchObject({ code: 0, out: expect.stringMatching(/^\s*2000000\n$/) });
      const big = await kubectl(bin!, ['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" a']);
      expect(big.code).toBe(0);
      expect(big.out.length).toBe(3_000_000);
      expect(/^a+$/.test(big.out)).toBe(true);
      timings[`kubectl ${version} exec 2 MB in, 3 MB out`] = Date.now() - t0;
    });

    it('exec -it in a terminal: the terminal size reaches the command', async () => {
      // `script` gives kubectl a pseudo-terminal of 40 rows and 100 columns
      const kc = `${bin} --kubeconfig ${skiff.kubeconfig} --cache-dir ${join(home, `cache-${version}`)}`;
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('script', ['-qec', `stty rows 40 cols 100; ${kc} exec -it web -c app -- sh -c 'sleep 0.5; stty size; tty'`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.once('close', (code) => resolve({ code, out }));
        setTimeout(() => child.kill('SIGKILL'), 30_000);
      });
      expect(r.out).toContain('40 100');
      expect(r.out).toMatch(/\/dev\/pts\/\d+/);
      expect(r.code).toBe(0);
    });

    it('exec errors: a container that is not there, a pod nobody scheduled', async () => {
      expect((await kubectl(bin!, ['exec', 'web', '-c', 'nope', '--', 'true'])).err).toContain('container nope is not valid for pod web');
      const pending = await kubectl(bin!, ['exec', 'pending', '--', 'true']);
      expect(pending.code).not.toBe(0);
      expect(pending.err).toContain('pod pending does not have a host assigned');
    });
  });

  it.each([
    ['1.32', 'ticker'],
    ['1.20', 'ticker20'],
  ])('kubectl %s logs -f streams until the container stops; exec into it then fails', async (version, container) => {
    const t0 = Date.now();
    const bin = version === '1.32' ? KUBECTL_132 : KUBECTL_120!;
    const child = spawn(bin, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', join(home, `cache-${version}`), 'logs', '-f', 'web', '-c', container], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    for (let i = 0; i < 200 && !out.includes('tick 8\n'); i++) await sleep(50);
    expect(out).toContain('tick 8\n'); // lines arrive while the container runs
    await cri.stopContainer(ids[container]!, 0);
    const code = await Promise.race([exited, sleep(10_000).then(() => 'still running')]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(code).toBe(0);
    const ticks = out.trim().split('\n');
    expect(ticks).toEqual(ticks.map((_, i) => `tick ${i + 1}`));
    timings[`kubectl ${version} logs -f until stopped`] = Date.now() - t0;
    // the pod object still says running; the agent knows better
    const r = await kubectl(bin, ['exec', 'web', '-c', container, '--', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`container not found ("${container}")`);
  });

  it('skiff logs and skiff exec', async () => {
    const t0 = Date.now();
    const sk = ([cmd, ...args]: string[], input?: string) => runSkiff([cmd!, '--kubeconfig', skiff.kubeconfig, ...args], { input });
    expect(await sk(['logs', 'web', '-c', 'app', '--tail', '2'])).toMatchObject({ code: 0, stdout: lines(9, 10) });
    expect((await sk(['logs', 'web', '-c', 'app', '--since', '1h', '--timestamps'])).stdout.split('\n')[0]).toMatch(/^\S+ line 1$/);
    const prev = await sk(['logs', 'web', '-c', 'app', '--previous']);
    expect(prev.code).toBe(1);
    expect(prev.stderr).toContain('Error from server (BadRequest): previous terminated container "app" in pod "web" not found');
    const hi = await sk(['exec', 'web', '-c', 'app', '--', 'echo', 'hi']);
    expect(hi, hi.stderr).toMatchObject({ code: 0, stdout: 'hi\n' });
    expect(await sk(['exec', '-i', 'web', '-c', 'app', '--', 'cat'], 'piped\ninput\n')).toMatchObject({ code: 0, stdout: 'piped\ninput\n' });
    const three = await sk(['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'exit 3']);
    expect(three.code).toBe(3);
    expect(three.stderr).toContain('command terminated with exit code 3');
    // -it in a pseudo-terminal of 40 x 100 (`script`)
    const it = await new Promise<string>((resolve) => {
      const cmd = `stty rows 40 cols 100; ${process.execPath} ${process.env.SKIFF_BIN} exec --kubeconfig ${skiff.kubeconfig} -it web -c app -- sh -c 'sleep 0.5; stty size; tty'`;
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.once('close', () => resolve(out));
      setTimeout(() => child.kill('SIGKILL'), 30_000);
    });
    expect(it).toContain('40 100');
    expect(it).toMatch(/\/dev\/pts\/\d+/);
    const nope = await sk(['exec', 'web', '-c', 'nope', '--', 'true']);
    expect(nope.code).toBe(1);
    expect(nope.stderr).toContain('container nope is not valid for pod web');
    timings['skiff logs/exec (7 runs)'] = Date.now() - t0;
  });

  it('REST: text/plain, kube\'s Status errors, 503 and 504 when the node does not answer', async () => {
    const log = (pod: string, q = '') => api('GET', `/api/v1/namespaces/${NS}/pods/${pod}/log${q}`);
    const ok = await log('web', '?container=app&tailLines=1');
    expect(ok).toMatchObject({ status: 200, text: 'line 10\n' });
    expect(ok.type).toMatch(/^text\/plain/);
    expect((await log('web', '?container=app&tailLines=1&insecureSkipTLSVerifyBackend=true')).text).toBe('line 10\n');
    const expectStatus = (r: { status: number; json: any }, code: number, reason: string, message?: string) => {
      expect(r.status).toBe(code);
      expect(r.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, ...(message ? { message } : {}) });
    };
    expectStatus(await log('nope'), 404, 'NotFound', 'pods "nope" not found');
    expectStatus(await log('web'), 400, 'BadRequest', 'a container name must be specified for pod web, choose one of: [app side ticker ticker20]');
    expectStatus(await log('web', '?container=nope'), 400, 'BadRequest', 'container nope is not valid for pod web');
    expectStatus(await log('pending'), 400, 'BadRequest', 'pod pending does not have a host assigned');
    expectStatus(await log('waiting'), 400, 'BadRequest', 'container "app" in pod "waiting" is waiting to start: ContainerCreating');
    expectStatus(await log('web', '?container=app&tailLines=abc'), 400, 'BadRequest');
    expectStatus(await log('web', '?container=app&sinceTime=yesterday'), 400, 'BadRequest');
    expectStatus(await log('web', '?container=app&tailLines=-1'), 422, 'Invalid');
    expectStatus(await log('web', '?container=app&sinceSeconds=5&sinceTime=2020-01-01T00:00:00Z'), 422, 'Invalid');
    expectStatus(await log('web', '?container=app&previous=true'), 400, 'BadRequest', 'previous terminated container "app" in pod "web" not found');
    expectStatus(await log('orphan'), 503, 'ServiceUnavailable');
    // a node that hears the request and never answers
    const silent = nc.subscribe(subjects('slow-node').logs);
    const t0 = Date.now();
    expectStatus(await log('slow'), 504, 'Timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(9_000);
    silent.unsubscribe();
    // exec without an upgrade, and without a token
    expectStatus(await api('POST', `/api/v1/namespaces/${NS}/pods/web/exec?command=true&stdout=true`), 400, 'BadRequest', 'Upgrade request required');
    const anon = await request(`${skiff.url}/api/v1/namespaces/${NS}/pods/web/log?container=app`, { dispatcher: agent });
    expect(anon.statusCode).toBe(401);
    await anon.body.dump();
  }, 60_000);
});
