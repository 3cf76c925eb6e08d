// pods/portforward: an upgrade request (GET or POST /api/v1/namespaces/{ns}/pods/{name}/portforward)
// speaking kube's portforward.k8s.io protocol over SPDY/3.1: per forwarded connection the client
// opens an error stream and a data stream, both with headers `streamType`, `port` and `requestID`;
// once both of a requestID are there, bytes are relayed both ways between the data stream and a
// PodStreams.portForward connection; a failure is written as text on the error stream; both
// streams end when the connection to the port is done. The SPDY connection comes either straight
// on the upgraded socket (kubectl's SPDY dialer, and its fallback) or tunnelled in WebSocket binary
// messages with the subprotocol SPDY/3.1+portforward.k8s.io (what kubectl >= 1.31 tries first);
// WebSocket channels with ?ports= (client-node) are portforward-websocket.ts'.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import { isStatusError, toStatus } from '@skiff/kernel';
import { RstStatus, SpdyConnection, StreamEndedError, type PodStream, type PodStreams, type SpdyStream } from '@skiff/client/api-frontend';
import { nodeOf, PODS, requirePodStreams, toStatusError, type ActiveStreams, type PodStreamsOptions } from './pod-streams.ts';
import { negotiate, refuse } from './pod-exec.ts';
import { channelPorts, CHANNEL_PROTOCOLS, serveChannelPortForward, upgradeWebSocket } from './portforward-websocket.ts';

export const PORTFORWARD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward\/?$/;
export const PORTFORWARD_SPDY = 'portforward.k8s.io';
export const PORTFORWARD_WS_TUNNEL = 'SPDY/3.1+portforward.k8s.io';
/** how long the client has to open the second stream of a pair (kube's streamCreationTimeout) */
const PAIR_TIMEOUT_MS = 30_000;

// ws refuses "SPDY/3.1+portforward.k8s.io" as a subprotocol ("/" is not a token character), so the
// header is taken off the request (negotiate has checked it) and the answer's is added here
const tunnelled = new WeakSet<IncomingMessage>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
wss.on('headers', (headers, req) => {
  if (tunnelled.has(req)) headers.push(`Sec-WebSocket-Protocol: ${PORTFORWARD_WS_TUNNEL}`);
});

interface Target {
  streams: PodStreams;
  nodeName: string;
  namespace: string;
  pod: string;
  uid?: string;
}

export async function handlePortForward(
  o: PodStreamsOptions, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, namespace: string, name: string, active: ActiveStreams,
): Promise<void> {
  let target: Target;
  let wire: ReturnType<typeof negotiate>;
  let ports: number[] = [];
  try {
    wire = negotiate(req, [PORTFORWARD_WS_TUNNEL, ...CHANNEL_PROTOCOLS], [PORTFORWARD_SPDY]);
    // WebSocket channels (client-node): the ports are in the query
    if (wire.kind === 'websocket' && wire.protocol !== PORTFORWARD_WS_TUNNEL) ports = channelPorts(url.search);
    const streams = requirePodStreams(o);
    const pod = await o.kernel.get(PODS, namespace, name);
    target = { streams, nodeName: nodeOf(pod), namespace, pod: name, uid: pod.metadata.uid };
  } catch (e) {
    const err = toStatusError(e);
    if (!isStatusError(err)) o.onInternalError?.(err, req);
    return refuse(socket, toStatus(err));
  }
  if (wire.kind === 'websocket' && wire.protocol !== PORTFORWARD_WS_TUNNEL) return serveChannelPortForward(req, socket, head, wire.protocol, ports, target, active);
  let conn: SpdyConnection;
  let ws: WebSocket | undefined;
  if (wire.kind === 'spdy') {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORTFORWARD_SPDY}\r\n\r\n`);
    conn = new SpdyConnection(socket, 'server', head);
  } else {
    delete req.headers['sec-websocket-protocol'];
    tunnelled.add(req);
    ws = await upgradeWebSocket(wss, req, socket, head);
    if (!ws) return;
    conn = new SpdyConnection(createWebSocketStream(ws), 'server');
  }
  // destroying ws's stream does not end the WebSocket (it waits for its close): end it too
  const tunnel = ws;
  const stop = () => {
    conn.destroy();
    tunnel?.terminate();
  };
  conn.on('error', stop);
  active.add(stop);
  conn.on('close', () => {
    active.delete(stop);
    tunnel?.terminate();
  });
  servePairs(conn, target, (e) => o.onInternalError?.(e, req));
}

/** A stream's input, kept until somebody consumes it. */
function buffered(s: SpdyStream): { consume(onData: (d: Buffer) => void, onEnd: () => void): void } {
  const queue: Buffer[] = [];
  let ended = false;
  let onData: ((d: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  s.on('data', (d: Buffer) => (onData ? onData(d) : queue.push(d)));
  s.on('end', () => {
    ended = true;
    onEnd?.();
  });
  return {
    consume(d, e) {
      onData = d;
      onEnd = e;
      for (const b of queue.splice(0)) d(b);
      if (ended) e();
    },
  };
}

interface Pair {
  port: number;
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

function servePairs(conn: SpdyConnection, target: Target, onInternalError: (e: unknown) => void): void {
  const pairs = new Map<string, Pair>();
  const open = new Set<PodStream>();
  conn.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    for (const s of open) s.close();
  });
  conn.on('stream', (s) => {
    const type = s.header('streamtype');
    const requestId = s.header('requestid') ?? '';
    const portText = s.header('port') ?? '';
    const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    if ((type !== 'error' && type !== 'data') || !(port >= 1 && port <= 65535)) return s.reset(RstStatus.RefusedStream);
    let pair = pairs.get(requestId);
    if (!pair) {
      pair = {
        port,
        timer: setTimeout(() => {
          pairs.delete(requestId);
          pair?.error?.reset();
          pair?.data?.reset();
        }, PAIR_TIMEOUT_MS),
      };
      pairs.set(requestId, pair);
    }
    if (pair[type] || pair.port !== port) return s.reset(RstStatus.RefusedStream);
    s.reply({});
    pair[type] = s;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      void forward(conn, target, pair.port, pair.error, pair.data, open).catch(onInternalError);
    }
  });
}

async function forward(conn: SpdyConnection, target: Target, port: number, error: SpdyStream, data: SpdyStream, open: Set<PodStream>): Promise<void> {
  const input = buffered(data);
  const finish = (message?: string) => {
    if (message && !error.localEnded) error.write(Buffer.from(message));
    error.end();
    data.end();
  };
  const toClient = (d: Uint8Array) =>
    new Promise<void>((resolve) => {
      if (conn.isClosed || data.localEnded || data.write(d)) return resolve();
      const done = () => {
        conn.off('drain', done);
        conn.off('close', done);
        resolve();
      };
      conn.on('drain', done);
      conn.on('close', done);
    });
  let stream: PodStream;
  try {
    stream = await target.streams.portForward(
      { nodeName: target.nodeName, namespace: target.namespace, pod: target.pod, uid: target.uid },
      port,
      {
        onData: (_ch, d) => toClient(d),
        onEnd: (end) => finish(end.error ? end.error.message ?? 'port-forward failed' : undefined),
      },
    );
  } catch (e) {
    const status = toStatus(toStatusError(e));
    return finish(`error forwarding port ${port} to pod ${target.pod}: ${status.message}`);
  }
  if (conn.isClosed) return stream.close();
  open.add(stream);
  void stream.done.then(() => open.delete(stream));
  input.consume(
    (d) => {
      stream.write(d).catch((e) => {
        if (!(e instanceof StreamEndedError)) conn.destroy();
      });
      if (stream.blocked && !conn.socket.isPaused()) {
        conn.socket.pause();
        void stream.whenWritable().then(() => conn.socket.resume());
      }
    },
    () => stream.closeInput(),
  );
}

