// pods/exec over WebSocket, as kube-apiserver serves it to kubectl >= 1.30: binary messages whose
// first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 error: the final metav1.Status, 4
// resize: {"Width":..,"Height":..}); v5.channel.k8s.io adds 255, "close stream" (the client's
// stdin is done: [255, 0]). v4.channel.k8s.io has no way to end stdin short of closing everything.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { TerminalSize, StreamStatus } from '@skiff/client/api-frontend';
import { HandshakeError, type ExecClient, type ExecQuery } from './pod-exec.ts';

export const WS_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const BEARER = 'base64url.bearer.authorization.k8s.io.';
const CH = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
/** a client that answers no ping for this long is gone */
const PING_MS = 30_000;

const chosen = new WeakMap<IncomingMessage, string>();
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: 16 * 1024 * 1024,
  handleProtocols: (_offered, req) => chosen.get(req) ?? false,
});

/** A bearer token sent as a subprotocol (browsers cannot set Authorization on a WebSocket). */
export function bearerFromProtocols(h: string | string[] | undefined): string | undefined {
  const all = (Array.isArray(h) ? h.join(',') : h ?? '').split(',').map((s) => s.trim());
  const p = all.find((s) => s.startsWith(BEARER));
  if (!p) return undefined;
  try {
    return Buffer.from(p.slice(BEARER.length), 'base64url').toString('utf8') || undefined;
  } catch {
    return undefined;
  }
}

const toBuffer = (d: RawData): Buffer => (Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d));

export async function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string, q: ExecQuery): Promise<ExecClient> {
  chosen.set(req, protocol);
  const ws = await new Promise<WebSocket>((resolve, reject) => {
    const failed = () => reject(new HandshakeError('the WebSocket handshake failed'));
    socket.once('close', failed);
    // on a bad handshake ws answers the client itself and destroys the socket
    wss.handleUpgrade(req, socket, head, (w) => {
      socket.off('close', failed);
      resolve(w);
    });
  });
  const v5 = protocol === 'v5.channel.k8s.io';
  let stdinCb: ((d: Buffer) => void) | undefined;
  let stdinCloseCb: (() => void) | undefined;
  let resizeCb: ((s: TerminalSize) => void) | undefined;
  let closeCb: (() => void) | undefined;
  const send = (ch: number, data: Uint8Array) =>
    new Promise<void>((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      const frame = Buffer.allocUnsafe(1 + data.length);
      frame[0] = ch;
      frame.set(data, 1);
      ws.send(frame, { binary: true }, () => resolve());
    });
  ws.on('message', (raw, isBinary) => {
    const b = toBuffer(raw);
    if (!isBinary || b.length === 0) return;
    const payload = b.subarray(1);
    switch (b[0]) {
      case CH.stdin:
        if (payload.length) stdinCb?.(payload);
        return;
      case CH.resize:
        try {
          const s = JSON.parse(payload.toString('utf8')) as TerminalSize;
          if (Number.isInteger(s.Width) && Number.isInteger(s.Height)) resizeCb?.({ Width: s.Width, Height: s.Height });
        } catch {
          // not a size: ignored
        }
        return;
      case CH.close:
        if (v5 && payload[0] === CH.stdin) stdinCloseCb?.();
        return;
    }
  });
  let alive = true;
  ws.on('pong', () => (alive = true));
  const pinger = setInterval(() => {
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
  }, PING_MS);
  pinger.unref();
  ws.on('close', () => {
    clearInterval(pinger);
    closeCb?.();
  });
  ws.on('error', () => ws.terminate());
  // as the kubelet's server does: an empty message on the first output channel says "connected"
  void send(q.stdout ? CH.stdout : q.stderr ? CH.stderr : CH.error, new Uint8Array(0));
  return {
    stdout: (d) => send(CH.stdout, d),
    stderr: (d) => send(CH.stderr, d),
    finish(status: StreamStatus) {
      void send(CH.error, Buffer.from(JSON.stringify(status))).then(() => ws.close(1000));
    },
    abort: () => ws.terminate(),
    onStdin: (f) => void (stdinCb = f),
    onStdinClose: (f) => void (stdinCloseCb = f),
    onResize: (f) => void (resizeCb = f),
    onClose: (f) => void (closeCb = f),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  };
}
