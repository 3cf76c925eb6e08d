// pods/log, exec, attach and portforward of the REST API against a scripted PodStreams service
// (no container runtime and no NATS needed: the service's contract is all the REST plugin sees; see
// plugins/node-streams/kubectl.test.ts for the real thing through a node agent).
import { request as httpRequest } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import {
  PodStreamError, SpdyConnection, StreamEndedError, streamFailure,
  type PodStream, type PodStreams, type StreamEnd, type StreamSink, type StreamStatus, type TerminalSize,
} from '@skiff/client/api-frontend';
import { createApiServer } from './server.ts';

const TOKEN = 'pod-streams-token';
const NODE = 'fake.node';
const PODS = { group: '', version: 'v1', resource: 'pods' };
let t: TestKernel;
let app: FastifyInstance;
let base: string;
const agentSessions: FakeStream[] = [];
const controls: ({ stdinClose: true } | { resize: TerminalSize })[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exitStatus = (code: number): StreamStatus => (code === 0
  ? { metadata: {}, status: 'Success' }
  : { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: exit code ${code}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } });

/** One scripted stream: output in order, then the end. */
class FakeStream implements PodStream {
  ended = false;
  readonly done: Promise<StreamEnd>;
  private resolveDone!: (e: StreamEnd) => void;
  private tx: Promise<void> = Promise.resolve();
  onInput: (d: Uint8Array) => void = () => {};
  onInputEnd: () => void = () => {};
  constructor(private readonly sink: StreamSink) {
    this.done = new Promise((r) => (this.resolveDone = r));
    agentSessions.push(this);
  }
  send(channel: number, d: Uint8Array): Promise<void> {
    this.tx = this.tx.then(async () => {
      if (!this.ended) await this.sink.onData(channel, d);
    });
    return this.tx;
  }
  endAfterData(end: StreamEnd): Promise<void> {
    return (this.tx = this.tx.then(() => this.finish(end)));
  }
  finish(end: StreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.onEnd?.(end);
    this.resolveDone(end);
  }
  write(d: Uint8Array): Promise<void> {
    if (this.ended) return Promise.reject(new StreamEndedError());
    this.onInput(d);
    return Promise.resolve();
  }
  readonly blocked = false;
  whenWritable = async () => {};
  closeInput(): void {
    controls.push({ stdinClose: true });
    this.onInputEnd();
  }
  resize(size: TerminalSize): void {
    controls.push({ resize: size });
  }
  close(): void {
    this.finish({});
  }
}

/** The scripted service: logs by container name, exec echoing stdin (command ["exit", n] exits with n), attach, port 7 echoing. */
function fakePodStreams(): PodStreams {
  const reachable = (nodeName: string) => {
    if (nodeName !== NODE) throw new PodStreamError(streamFailure(503, 'ServiceUnavailable', `node "${nodeName}" is not reachable: no agent of it is connected`));
  };
  const remoteCommand = (sink: StreamSink, o: { command?: string[]; stdin?: boolean; tty?: boolean; stderr?: boolean }) => {
    const session = new FakeStream(sink);
    session.onInput = (d) => void session.send(1, d);
    session.onInputEnd = () => void session.endAfterData({ status: exitStatus(0) });
    const command = o.command ?? ['attached'];
    if (command[0] === 'exit') void session.send(2, Buffer.from('bye\n')).then(() => session.endAfterData({ status: exitStatus(Number(command[1])) }));
    else if (!o.stdin) void session.send(1, Buffer.from(`${command.join(' ')} tty=${o.tty} stderr=${o.stderr}\n`)).then(() => session.endAfterData({ status: exitStatus(0) }));
    return session;
  };
  return {
    async log(target, options, sink) {
      reachable(target.nodeName);
      if (target.container === 'refused') throw new PodStreamError(streamFailure(400, 'BadRequest', 'refused by the agent'));
      const session = new FakeStream(sink);
      void (async () => {
        if (target.container === 'broken') return session.finish({ error: streamFailure(500, 'InternalError', 'the log file is unreadable') });
        if (target.container === 'endless') {
          for (let i = 0; !session.ended; i++) await session.send(1, Buffer.from(`tick ${i}\n`)).then(() => sleep(20));
          return;
        }
        await session.send(1, Buffer.from(`params ${JSON.stringify({ tailLines: options.tailLines, follow: options.follow, timestamps: options.timestamps, sinceSeconds: options.sinceSeconds, uid: !!target.uid })}\n`));
        await session.endAfterData({});
      })();
      return session;
    },
    async exec(target, options, sink) {
      reachable(target.nodeName);
      return remoteCommand(sink, options);
    },
    async attach(target, options, sink) {
      reachable(target.nodeName);
      return remoteCommand(sink, options);
    },
    async portForward(target, port, sink) {
      reachable(target.nodeName);
      const session = new FakeStream(sink);
      if (port !== 7) {
        void session.endAfterData({ error: streamFailure(500, 'InternalError', `connect: connection refused (port ${port})`) });
        return session;
      }
      session.onInput = (d) => void session.send(1, Buffer.from(Buffer.from(d).toString().toUpperCase()));
      session.onInputEnd = () => void session.endAfterData({});
      return session;
    },
  };
}

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, tokens: [TOKEN], podStreams: fakePodStreams() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const pod = async (name: string, containers: string[], nodeName?: string, statuses?: unknown[]) => {
    const created = await t.kernel.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((c) => ({ name: c, image: 'x' })) } });
    if (statuses) await t.kernel.update(PODS, { ...created, status: { phase: 'Running', containerStatuses: statuses } }, { subresource: 'status' });
  };
  const run = (name: string) => ({ name, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } });
  await pod('p', ['app', 'endless', 'broken', 'refused'], NODE, ['app', 'endless', 'broken', 'refused'].map(run));
  await pod('solo', ['app'], NODE, [run('app')]);
  await pod('unbound', ['app']);
  await pod('elsewhere', ['app'], 'agentless-node', [run('app')]);
  await pod('pulling', ['app'], NODE, [{ name: 'app', state: { waiting: { reason: 'ImagePullBackOff' } } }]);
  await pod('crashed', ['app'], NODE, [{ name: 'app', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } }]);
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

const get = async (path: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => {
  const res = await fetch(base + path, { headers });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, type: res.headers.get('content-type') ?? '' };
};
const log = (pod: string, q = '') => get(`/api/v1/namespaces/default/pods/${pod}/log${q}`);

describe('pods/log', () => {
  it('streams the agent\'s text as text/plain, with kube\'s parameters passed on', async () => {
    const r = await log('solo', '?tailLines=3&follow=false&timestamps=1&sinceSeconds=10');
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain');
    expect(r.text).toBe('params {"tailLines":3,"follow":false,"timestamps":true,"sinceSeconds":10,"uid":true}\n');
  });

  it('answers kube\'s Status errors', async () => {
    const status = async (q: Promise<{ status: number; json: any }>, code: number, message: string | RegExp) => {
      const r = await q;
      expect(r.status).toBe(code);
      expect(r.json).toMatchObject({ kind: 'Status', code });
      expect(r.json.message).toMatch(message);
    };
    await status(log('absent'), 404, /^pods "absent" not found$/);
    await status(log('p'), 400, /^a container name must be specified for pod p, choose one of: \[app endless broken refused\]$/);
    await status(log('p', '?container=x'), 400, /^container x is not valid for pod p$/);
    await status(log('unbound'), 400, /^pod unbound does not have a host assigned$/);
    await status(log('pulling'), 400, /^container "app" in pod "pulling" is waiting to start: trying and failing to pull image$/);
    await status(log('elsewhere'), 503, /^node "agentless-node" is not reachable/);
    await status(log('p', '?container=refused'), 400, /^refused by the agent$/);
    await status(log('p', '?container=broken'), 500, /^the log file is unreadable$/);
    await status(log('solo', '?limitBytes=0'), 422, /^PodLogOptions "solo" is invalid: limitBytes: Invalid value: 0: must be greater than 0$/);
    await status(log('solo', '?sinceSeconds=x'), 400, /sinceSeconds/);
    expect((await log('solo', '')).status).toBe(200);
    expect((await get('/api/v1/namespaces/default/pods/solo/log', {})).status).toBe(401);
  });

  it('a crash-looping container still has logs (its last state), as with the kubelet', async () => {
    expect((await log('crashed')).status).toBe(200);
  });

  it('a client that goes away stops the agent\'s stream', async () => {
    const before = agentSessions.length;
    const got = await new Promise<string>((resolve) => {
      const req = httpRequest(`${base}/api/v1/namespaces/default/pods/p/log?container=endless&follow=true`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        expect(res.headers['content-type']).toBe('text/plain');
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (d: string) => {
          text += d;
          if (text.includes('tick 3\n')) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.end();
    });
    expect(got.startsWith('tick 0\ntick 1\n')).toBe(true);
    const s = agentSessions[before]!;
    const end = await Promise.race([s.done, sleep(3_000).then(() => 'still streaming')]);
    expect(end).toEqual({});
  });
});

describe('pods/exec', () => {
  const wsUrl = (q: string, pod = 'solo') => `${base.replace('http', 'ws')}/api/v1/namespaces/default/pods/${pod}/exec?${q}`;
  const ws = (q: string, protocols: string[] = ['v5.channel.k8s.io', 'v4.channel.k8s.io'], headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, pod = 'solo') =>
    new Promise<{ ws: WebSocket; frames: Buffer[]; closed: Promise<number> }>((resolve, reject) => {
      const w = new WebSocket(wsUrl(q, pod), protocols, { headers });
      const frames: Buffer[] = [];
      const closed = new Promise<number>((r) => w.once('close', (code) => r(code)));
      w.on('message', (d: Buffer) => frames.push(d));
      w.once('open', () => resolve({ ws: w, frames, closed }));
      w.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode, body: JSON.parse(body) })));
      });
      w.once('error', reject);
    });
  const channel = (frames: Buffer[], ch: number) => Buffer.concat(frames.filter((f) => f[0] === ch).map((f) => f.subarray(1))).toString();

  it('WebSocket v5: stdin to its close (channel 255), stdout, the status on channel 3, then a normal close', async () => {
    const c = await ws('command=cat&stdin=true&stdout=true&stderr=true');
    expect(c.ws.protocol).toBe('v5.channel.k8s.io');
    c.ws.send(Buffer.from([0, ...Buffer.from('hello ')]));
    c.ws.send(Buffer.from([0, ...Buffer.from('world')]));
    c.ws.send(Buffer.from([255, 0]));
    expect(await c.closed).toBe(1000);
    expect(c.frames[0]).toEqual(Buffer.from([1])); // "connected"
    expect(channel(c.frames, 1)).toBe('hello world');
    expect(JSON.parse(channel(c.frames, 3))).toEqual({ metadata: {}, status: 'Success' });
  });

  it('the exit code as NonZeroExitCode; command, tty and stderr passed on', async () => {
    const c = await ws('command=exit&command=7&stdout=true&stderr=true');
    await c.closed;
    expect(channel(c.frames, 2)).toBe('bye\n');
    expect(JSON.parse(channel(c.frames, 3))).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } });
    const d = await ws('command=echo&command=a%20b&stdout=true&stderr=true&tty=true', ['v4.channel.k8s.io']);
    expect(d.ws.protocol).toBe('v4.channel.k8s.io');
    await d.closed;
    expect(channel(d.frames, 1)).toBe('echo a b tty=true stderr=false\n');
  });

  it('resize (channel 4) reaches the agent', async () => {
    const c = await ws('command=sh&stdin=true&stdout=true&tty=true');
    c.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":120,"Height":40}')]));
    c.ws.send(Buffer.from([255, 0]));
    await c.closed;
    expect(controls).toContainEqual({ resize: { Width: 120, Height: 40 } });
  });

  it('fails before the upgrade with a Status: token, pod, container, node, protocol, no upgrade', async () => {
    const refused = (p: Promise<unknown>) => p.then(() => ({ statusCode: 101, body: undefined }), (e: { statusCode: number; body: any }) => e);
    expect(await refused(ws('command=x&stdout=true', undefined, {}))).toMatchObject({ statusCode: 401, body: { reason: 'Unauthorized' } });
    const viaProtocol = await ws('command=exit&command=0&stdout=true', ['v5.channel.k8s.io', `base64url.bearer.authorization.k8s.io.${Buffer.from(TOKEN).toString('base64url')}`], {});
    expect(viaProtocol.ws.protocol).toBe('v5.channel.k8s.io');
    await viaProtocol.closed;
    expect(await refused(ws('command=x&stdout=true', undefined, undefined, 'absent'))).toMatchObject({ statusCode: 404, body: { message: 'pods "absent" not found' } });
    expect(await refused(ws('command=x&stdout=true&container=nope'))).toMatchObject({ statusCode: 400, body: { message: 'container nope is not valid for pod solo' } });
    expect(await refused(ws('command=x&stdout=true', undefined, undefined, 'unbound'))).toMatchObject({ statusCode: 400, body: { message: 'pod unbound does not have a host assigned' } });
    expect(await refused(ws('command=x&stdout=true', undefined, undefined, 'elsewhere'))).toMatchObject({ statusCode: 503 });
    expect(await refused(ws('stdout=true'))).toMatchObject({ statusCode: 400, body: { message: 'you must specify at least 1 command' } });
    expect(await refused(ws('command=x&stdout=true', ['channel.k8s.io']))).toMatchObject({ statusCode: 400 });
    const plain = await fetch(`${base}/api/v1/namespaces/default/pods/solo/exec?command=x&stdout=true`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { message: string }).message).toBe('Upgrade request required');
  });

  it('SPDY/3.1 (kubectl before 1.30): one stream per channel, stdin\'s FIN, the status on the error stream', async () => {
    const { socket, head, protocol } = await new Promise<{ socket: import('node:net').Socket; head: Buffer; protocol: unknown }>((resolve, reject) => {
      const req = httpRequest(`${base}/api/v1/namespaces/default/pods/solo/exec?command=cat&stdin=true&stdout=true&stderr=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': ['v4.channel.k8s.io', 'v3.channel.k8s.io'] },
      });
      req.on('upgrade', (res, s, h) => resolve({ socket: s, head: h, protocol: res.headers['x-stream-protocol-version'] }));
      req.on('response', (res) => reject(new Error(`HTTP ${res.statusCode}`)));
      req.end();
    });
    expect(protocol).toBe('v4.channel.k8s.io');
    const conn = new SpdyConnection(socket, 'client', head);
    const open = (type: string) => conn.createStream({ streamtype: type });
    const error = open('error');
    const stdin = open('stdin');
    const stdout = open('stdout');
    open('stderr');
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d));
    error.on('data', (d: Buffer) => (err += d));
    const ended = new Promise((r) => error.once('end', r));
    stdin.write(Buffer.from('over spdy'));
    stdin.end();
    await ended;
    expect(out).toBe('over spdy');
    expect(JSON.parse(err)).toEqual({ metadata: {}, status: 'Success' });
    conn.destroy();
  });

  it('a client that goes away ends the agent\'s session', async () => {
    const before = agentSessions.length;
    const c = await ws('command=cat&stdin=true&stdout=true');
    c.ws.terminate();
    const end = await Promise.race([agentSessions[before]!.done, sleep(3_000).then(() => 'still open')]);
    expect(end).toEqual({} satisfies StreamEnd);
  });
});

describe('pods/attach', () => {
  it('WebSocket v5: stdin to the container\'s process, its output, the status; no command needed', async () => {
    const c = await new Promise<{ ws: WebSocket; frames: Buffer[]; closed: Promise<number> }>((resolve, reject) => {
      const w = new WebSocket(`${base.replace('http', 'ws')}/api/v1/namespaces/default/pods/solo/attach?stdin=true&stdout=true&stderr=true`, ['v5.channel.k8s.io'], { headers: { authorization: `Bearer ${TOKEN}` } });
      const frames: Buffer[] = [];
      const closed = new Promise<number>((r) => w.once('close', (code) => r(code)));
      w.on('message', (d: Buffer) => frames.push(d));
      w.once('open', () => resolve({ ws: w, frames, closed }));
      w.once('error', reject);
    });
    c.ws.send(Buffer.from([0, ...Buffer.from('typed')]));
    c.ws.send(Buffer.from([255, 0]));
    expect(await c.closed).toBe(1000);
    const channel = (ch: number) => Buffer.concat(c.frames.filter((f) => f[0] === ch).map((f) => f.subarray(1))).toString();
    expect(channel(1)).toBe('typed');
    expect(JSON.parse(channel(3))).toEqual({ metadata: {}, status: 'Success' });
  });

  it('without stdin: the output until the process ends; errors before the upgrade as for exec', async () => {
    const r = await new Promise<string>((resolve, reject) => {
      const w = new WebSocket(`${base.replace('http', 'ws')}/api/v1/namespaces/default/pods/solo/attach?stdout=true&tty=true`, ['v4.channel.k8s.io'], { headers: { authorization: `Bearer ${TOKEN}` } });
      const frames: Buffer[] = [];
      w.on('message', (d: Buffer) => frames.push(d));
      w.once('close', () => resolve(Buffer.concat(frames.filter((f) => f[0] === 1).map((f) => f.subarray(1))).toString()));
      w.once('error', reject);
    });
    expect(r).toBe('attached tty=true stderr=false\n');
    const refused = (await fetch(`${base}/api/v1/namespaces/default/pods/unbound/attach?stdout=true`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' } }).catch((e) => e)) as Response | Error;
    // fetch cannot upgrade: the answer is the refusal
    if (refused instanceof Response) expect(refused.status).toBe(400);
    const noStreams = await new Promise<number>((resolve) => {
      const w = new WebSocket(`${base.replace('http', 'ws')}/api/v1/namespaces/default/pods/solo/attach`, ['v5.channel.k8s.io'], { headers: { authorization: `Bearer ${TOKEN}` } });
      w.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      w.once('open', () => resolve(101));
      w.once('error', () => {});
    });
    expect(noStreams).toBe(400);
  });
});

describe('pods/portforward', () => {
  /** SPDY on an upgraded socket (`tunnel`: the same SPDY inside WebSocket binary messages, as kubectl >= 1.31 asks first). */
  const dial = async (pod = 'solo', tunnel = false): Promise<SpdyConnection> => {
    if (tunnel) {
      const { createWebSocketStream } = await import('ws');
      const { request } = await import('node:http');
      // ws (the client) refuses "SPDY/3.1+portforward.k8s.io" as a subprotocol name too: a raw handshake
      return new Promise((resolve, reject) => {
        const req = request(`${base}/api/v1/namespaces/default/pods/${pod}/portforward`, {
          headers: { authorization: `Bearer ${TOKEN}`, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'), 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' },
        });
        req.on('upgrade', (res, socket, head) => {
          expect(res.headers['sec-websocket-protocol']).toBe('SPDY/3.1+portforward.k8s.io');
          // ws's own client over the upgraded socket (a client masks its frames)
          const ws = new WebSocket(null as never, undefined as never, {} as never) as WebSocket & { _isServer: boolean; setSocket(s: unknown, h: Buffer, o: { maxPayload: number }): void };
          ws._isServer = false;
          ws.setSocket(socket, head, { maxPayload: 0 });
          const conn = new SpdyConnection(createWebSocketStream(ws), 'client');
          conn.on('close', () => ws.terminate());
          const destroy = conn.destroy.bind(conn);
          conn.destroy = () => (destroy(), ws.terminate());
          resolve(conn);
        });
        req.on('response', (res) => reject(new Error(`HTTP ${res.statusCode}`)));
        req.end();
      });
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${base}/api/v1/namespaces/default/pods/${pod}/portforward`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' },
      });
      req.on('upgrade', (res, socket, head) => {
        expect(res.headers['x-stream-protocol-version']).toBe('portforward.k8s.io');
        resolve(new SpdyConnection(socket, 'client', head));
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode, body: JSON.parse(body) })));
      });
      req.end();
    });
  };
  /** One forwarded connection: send `input`, half-close, read to the end; the error stream's text. */
  const exchange = async (conn: SpdyConnection, port: number, requestId: number, input: string) => {
    const headers = { port: String(port), requestid: String(requestId) };
    const error = conn.createStream({ streamtype: 'error', ...headers });
    error.end();
    const data = conn.createStream({ streamtype: 'data', ...headers });
    let out = '';
    let err = '';
    data.on('data', (d: Buffer) => (out += d));
    error.on('data', (d: Buffer) => (err += d));
    const ended = Promise.all([new Promise((r) => data.once('end', r)), new Promise((r) => error.once('end', r))]);
    data.write(Buffer.from(input));
    data.end();
    await ended;
    return { out, err };
  };

  it.each([['SPDY', false], ['SPDY in WebSocket', true]])('%s: a stream pair per connection, bytes both ways, several at once on one connection', async (_name, tunnel) => {
    const conn = await dial('solo', tunnel);
    const results = await Promise.all([exchange(conn, 7, 0, 'first'), exchange(conn, 7, 1, 'second'), exchange(conn, 7, 2, 'third')]);
    expect(results).toEqual([{ out: 'FIRST', err: '' }, { out: 'SECOND', err: '' }, { out: 'THIRD', err: '' }]);
    conn.destroy();
  });

  it('a port nothing listens on: the error stream says so, the connection lives on', async () => {
    const conn = await dial();
    expect(await exchange(conn, 9, 0, 'x')).toEqual({ out: '', err: 'connect: connection refused (port 9)' });
    expect(await exchange(conn, 7, 1, 'still')).toEqual({ out: 'STILL', err: '' });
    conn.destroy();
  });

  it('refuses before the upgrade with a Status: token, pod, node; streams without a valid port are reset', async () => {
    const refused = (p: Promise<unknown>) => p.then(() => ({ statusCode: 101, body: undefined }), (e: { statusCode: number; body: any }) => e);
    expect(await refused(dial('absent'))).toMatchObject({ statusCode: 404, body: { message: 'pods "absent" not found' } });
    expect(await refused(dial('unbound'))).toMatchObject({ statusCode: 400, body: { message: 'pod unbound does not have a host assigned' } });
    const anon = await fetch(`${base}/api/v1/namespaces/default/pods/solo/portforward`, { method: 'POST' });
    expect(anon.status).toBe(401);
    const conn = await dial();
    const bad = conn.createStream({ streamtype: 'data', port: 'http', requestid: '0' });
    await new Promise((r) => bad.once('end', r));
    expect(bad.remoteEnded).toBe(true);
    conn.destroy();
  });
});

describe('pods/portforward over WebSocket channels (client-node)', () => {
  it('each port\'s data and error channels announce the port, then carry its bytes and failure', async () => {
    const w = new WebSocket(`${base.replace('http', 'ws')}/api/v1/namespaces/default/pods/solo/portforward?ports=7&ports=9`, ['v4.channel.k8s.io'], { headers: { authorization: `Bearer ${TOKEN}` } });
    const frames: Buffer[] = [];
    w.on('message', (d: Buffer) => frames.push(d));
    await new Promise((r, j) => (w.once('open', r), w.once('error', j)));
    expect(w.protocol).toBe('v4.channel.k8s.io');
    const on = (ch: number) => frames.filter((f) => f[0] === ch).map((f) => f.subarray(1));
    for (let i = 0; i < 100 && !(on(0).length && on(3).length > 1); i++) await sleep(20);
    expect(on(0)[0]).toEqual(Buffer.from([7, 0]));
    expect(on(1)[0]).toEqual(Buffer.from([7, 0]));
    expect(on(2)[0]).toEqual(Buffer.from([9, 0]));
    expect(Buffer.concat(on(3).slice(1)).toString()).toBe('connect: connection refused (port 9)');
    w.send(Buffer.concat([Buffer.from([0]), Buffer.from('over channels')]));
    for (let i = 0; i < 100 && on(0).length < 2; i++) await sleep(20);
    expect(Buffer.concat(on(0).slice(1)).toString()).toBe('OVER CHANNELS');
    const before = agentSessions.length;
    w.close();
    await sleep(100);
    expect(agentSessions.slice(0, before).filter((s) => !s.ended)).toEqual([]);
  });

  it('no ports, or a bad one: 400 before the upgrade', async () => {
    const status = (q: string) => new Promise<number>((resolve) => {
      const w = new WebSocket(`${base.replace('http', 'ws')}/api/v1/namespaces/default/pods/solo/portforward${q}`, ['v4.channel.k8s.io'], { headers: { authorization: `Bearer ${TOKEN}` } });
      w.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      w.once('open', () => (w.close(), resolve(101)));
      w.once('error', () => {});
    });
    expect(await status('')).toBe(400);
    expect(await status('?ports=0')).toBe(400);
    expect(await status('?ports=http')).toBe(400);
  });
});
