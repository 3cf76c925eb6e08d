// pods/exec and pods/attach: an upgrade request (GET or POST /api/v1/namespaces/{ns}/pods/{name}/exec
// ?command=..&command=..&container=&stdin=&stdout=&stderr=&tty=; attach the same without command),
// served from the HTTP server's 'upgrade' event (pods/portforward too: pod-portforward.ts): WebSocket with the v5.channel.k8s.io / v4.channel.k8s.io subprotocols (kubectl >= 1.30,
// websocket-exec.ts) or SPDY/3.1 with v4.channel.k8s.io (older kubectl, and kubectl's fallback,
// spdy-exec.ts). Everything is checked before the upgrade (token, pod, container, node, and the
// agent starting the command), so failures are plain HTTP answers with a Status, as kube-apiserver
// gives them; then the client's streams are relayed to the PodStreams service's session.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { errors, isStatusError, toStatus, type Status } from '@skiff/kernel';
import {
  bearerToken, resourceAttributes, StreamChannel, StreamEndedError, streamFailure,
  type PodStream, type StreamSink, type StreamStatus, type TerminalSize,
} from '@skiff/client/api-frontend';
import { podTarget, requirePodStreams, toStatusError, type ActiveStreams, type PodStreamsOptions } from './pod-streams.ts';
import { handlePortForward, PORTFORWARD_PATH } from './pod-portforward.ts';
import { acceptSpdy, SPDY_PROTOCOLS } from './spdy-exec.ts';
import { acceptWebSocket, bearerFromProtocols, WS_PROTOCOLS } from './websocket-exec.ts';

const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)\/?$/;

/** The client's end of an exec session, whatever the wire. */
export interface ExecClient {
  stdout(data: Uint8Array): Promise<void>;
  stderr(data: Uint8Array): Promise<void>;
  /** the final status on the error channel, then the connection closes */
  finish(status: StreamStatus): void;
  abort(): void;
  /** input from the client; pause() stops reading it until resume() */
  onStdin(f: (data: Buffer) => void): void;
  onStdinClose(f: () => void): void;
  onResize(f: (size: TerminalSize) => void): void;
  /** the client's connection is gone */
  onClose(f: () => void): void;
  pause(): void;
  resume(): void;
}

export interface ExecQuery {
  command: string[];
  container?: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** kube's string -> bool conversion: absent false, "false"/"0" false, anything else true. */
const flag = (q: URLSearchParams, k: string) => q.has(k) && !/^(false|0)$/i.test(q.get(k) ?? '');

export function execQuery(search: string, attach = false): ExecQuery {
  const q = new URLSearchParams(search);
  const e: ExecQuery = {
    command: q.getAll('command'),
    container: q.get('container') || undefined,
    stdin: flag(q, 'stdin'),
    stdout: flag(q, 'stdout'),
    stderr: flag(q, 'stderr'),
    tty: flag(q, 'tty'),
  };
  if (e.command.length === 0 && !attach) throw errors.badRequest('you must specify at least 1 command');
  if (!e.stdin && !e.stdout && !e.stderr) throw errors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (e.tty) e.stderr = false; // a terminal has one output
  return e;
}

/** An HTTP answer with a Status on a socket that was never upgraded. */
export function refuse(socket: Duplex, status: Status, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(status);
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout' }[status.code] ?? 'Error';
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status.code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-cache, private\r\n${extra}Connection: close\r\n\r\n${body}`);
}

type Wire = { kind: 'websocket'; protocol: string } | { kind: 'spdy'; protocol: string };

export function negotiate(req: IncomingMessage, wsProtocols = WS_PROTOCOLS, spdyProtocols = SPDY_PROTOCOLS): Wire {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const protocol = wsProtocols.find((p) => offered.includes(p));
    if (!protocol) throw errors.badRequest(`unable to upgrade: no supported subprotocol: client offered [${offered.filter((p) => !p.startsWith('base64url.bearer.')).join(', ')}], server supports [${wsProtocols.join(', ')}]`);
    return { kind: 'websocket', protocol };
  }
  if (upgrade.startsWith('spdy/3.1')) {
    const raw = req.headers['x-stream-protocol-version'];
    const offered = (Array.isArray(raw) ? raw : [raw ?? '']).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
    const protocol = spdyProtocols.find((p) => offered.includes(p));
    if (!protocol) throw errors.forbidden(`unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${spdyProtocols.join(' ')}]`);
    return { kind: 'spdy', protocol };
  }
  throw errors.badRequest(`unable to upgrade: unsupported upgrade "${req.headers.upgrade ?? ''}" (WebSocket or SPDY/3.1)`);
}

/** The pod and user of a streaming upgrade, once the token and the authorizer allow it (else the refusal is sent). */
export async function admitUpgrade(o: PodStreamsOptions, req: IncomingMessage, socket: Duplex, namespace: string, name: string, subresource: string): Promise<boolean> {
  try {
    // the token: the Authorization header, or (browsers' WebSockets) a base64url.bearer subprotocol
    const user = o.gate?.authenticate(bearerToken(req.headers.authorization) ?? bearerFromProtocols(req.headers['sec-websocket-protocol']));
    // kube asks `create` on pods/<subresource> for both the POST (SPDY) and the GET (WebSocket) form
    if (o.gate && user) await o.gate.authorize(resourceAttributes(user, 'create', { group: '', version: 'v1', resource: 'pods', namespace, name, subresource }));
    return true;
  } catch (e) {
    refuse(socket, toStatus(e));
    return false;
  }
}

export async function handleStreamUpgrade(o: PodStreamsOptions, req: IncomingMessage, socket: Duplex, head: Buffer, active: ActiveStreams): Promise<void> {
  socket.on('error', () => socket.destroy());
  const url = new URL(req.url ?? '/', 'http://x');
  const pf = PORTFORWARD_PATH.exec(url.pathname);
  const m = pf ?? STREAM_PATH.exec(url.pathname);
  if (!m) return refuse(socket, errors.noSuchResource(`the server could not find the requested resource (${req.method} ${url.pathname})`).status);
  let namespace: string;
  let name: string;
  try {
    namespace = decodeURIComponent(m[1]!);
    name = decodeURIComponent(m[2]!);
  } catch (e) {
    return refuse(socket, errors.badRequest(`invalid path: ${(e as Error).message}`).status);
  }
  const subresource = pf ? 'portforward' : m[3]!;
  if (!(await admitUpgrade(o, req, socket, namespace, name, subresource))) return;
  if (pf) return handlePortForward(o, req, socket, head, url, namespace, name, active);
  return handleRemoteCommand(o, req, socket, head, url, namespace, name, subresource === 'attach', active);
}

async function handleRemoteCommand(o: PodStreamsOptions, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, namespace: string, name: string, attach: boolean, active: ActiveStreams): Promise<void> {
  let session: PodStream | undefined;
  let client: ExecClient | undefined;
  let resolveClient!: (c: ExecClient | undefined) => void;
  const clientReady = new Promise<ExecClient | undefined>((r) => (resolveClient = r));
  let wire: Wire;
  let q: ExecQuery;
  try {
    wire = negotiate(req);
    q = execQuery(url.search, attach);
    const streams = requirePodStreams(o);
    const target = await podTarget(o.kernel, namespace, name, q.container);
    const ref = { nodeName: target.nodeName, namespace, pod: name, uid: target.pod.metadata.uid, container: target.container };
    const wanted = { stdin: q.stdin, stdout: q.stdout, stderr: q.stderr, tty: q.tty };
    // output may come before the client's handshake is done: it waits (the window bounds it)
    const sink: StreamSink = {
      onData: async (stream, data) => {
        const c = client ?? (await clientReady);
        if (!c) return;
        await (stream === StreamChannel.Stderr ? c.stderr(data) : c.stdout(data));
      },
      onEnd: (end) => {
        void clientReady.then((c) => {
          if (!c) return;
          if (end.status) c.finish(end.status);
          else c.finish(end.error ?? streamFailure(500, 'InternalError', `the ${attach ? 'attach' : 'exec'} session ended without a status`));
        });
      },
    };
    session = attach ? await streams.attach(ref, wanted, sink) : await streams.exec(ref, { ...wanted, command: q.command }, sink);
  } catch (e) {
    resolveClient(undefined);
    const err = toStatusError(e);
    if (!isStatusError(err)) o.onInternalError?.(err, req);
    return refuse(socket, toStatus(err));
  }
  const s = session;
  try {
    // the client may have left while the agent was starting the command
    if (socket.destroyed || !socket.writable) throw new HandshakeError('the client went away');
    client = wire.kind === 'websocket'
      ? await acceptWebSocket(req, socket, head, wire.protocol, q)
      : await acceptSpdy(req, socket, head, wire.protocol, q);
  } catch (e) {
    resolveClient(undefined);
    s.close();
    if (!socket.destroyed) socket.destroy();
    if (!(e instanceof HandshakeError)) o.onInternalError?.(e, req);
    return;
  }
  const c = client;
  c.onStdin((data) => {
    s.write(data).catch((e) => {
      if (!(e instanceof StreamEndedError)) c.abort();
    });
    if (s.blocked) {
      c.pause();
      void s.whenWritable().then(() => c.resume());
    }
  });
  c.onStdinClose(() => s.closeInput());
  c.onResize((size) => s.resize(size));
  const stop = () => {
    s.close();
    c.abort();
  };
  active.add(stop);
  c.onClose(() => {
    active.delete(stop);
    s.close(); // the client went away (or we are done): the agent drops the process's streams
  });
  resolveClient(c);
}

/** The client's handshake failed (it is told, or gone): nothing to log. */
export class HandshakeError extends Error {}
