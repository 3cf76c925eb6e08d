// pods/exec over SPDY/3.1 (remotecommand v4.channel.k8s.io), as kubectl before 1.30 speaks it and
// as kubectl 1.30+ falls back to: after the 101, the client opens one SPDY stream per channel
// (header streamType: error, stdin, stdout, stderr, resize) and the server replies to each; stdin's
// FIN is its end; resize carries JSON sizes, one per line; the final metav1.Status goes on the error
// stream, then the connection closes.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { RstStatus, SpdyConnection, type SpdyStream, type TerminalSize, type StreamStatus } from '@skiff/client/api-frontend';
import { HandshakeError, type ExecClient, type ExecQuery } from './pod-exec.ts';

export const SPDY_PROTOCOLS = ['v4.channel.k8s.io'];
/** how long the client has to open its streams (kube's streamCreationTimeout) */
const STREAMS_TIMEOUT_MS = 30_000;

type Kind = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** A stream's input, kept until somebody consumes it. */
class Inbox {
  private queue: Buffer[] = [];
  private ended = false;
  private onData: ((d: Buffer) => void) | undefined;
  private onEnd: (() => void) | undefined;
  constructor(s: SpdyStream) {
    s.on('data', (d: Buffer) => (this.onData ? this.onData(d) : this.queue.push(d)));
    s.on('end', () => {
      this.ended = true;
      this.onEnd?.();
    });
  }
  consume(onData: (d: Buffer) => void, onEnd: () => void): void {
    this.onData = onData;
    this.onEnd = onEnd;
    for (const d of this.queue.splice(0)) onData(d);
    if (this.ended) onEnd();
  }
}

export async function acceptSpdy(_req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string, q: ExecQuery): Promise<ExecClient> {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  const conn = new SpdyConnection(socket, 'server', head);
  conn.on('error', () => conn.destroy());
  const expected = new Set<Kind>(['error']);
  if (q.stdin) expected.add('stdin');
  if (q.stdout) expected.add('stdout');
  if (q.stderr) expected.add('stderr');
  if (q.tty) expected.add('resize');
  const streams = new Map<Kind, SpdyStream>();
  const inboxes = new Map<Kind, Inbox>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new HandshakeError(`the client opened ${streams.size} of ${expected.size} streams in time`));
    }, STREAMS_TIMEOUT_MS);
    conn.on('close', () => {
      clearTimeout(timer);
      reject(new HandshakeError('the client went away before opening its streams'));
    });
    conn.on('stream', (s) => {
      const kind = s.header('streamtype') as Kind | undefined;
      if (!kind || !expected.has(kind) || streams.has(kind)) return s.reset(RstStatus.RefusedStream);
      s.reply({});
      streams.set(kind, s);
      inboxes.set(kind, new Inbox(s));
      if (streams.size === expected.size) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const write = (kind: Kind, d: Uint8Array) =>
    new Promise<void>((resolve) => {
      const s = streams.get(kind);
      if (!s || conn.isClosed || s.write(d)) return resolve();
      const done = () => {
        conn.off('drain', done);
        conn.off('close', done);
        resolve();
      };
      conn.on('drain', done);
      conn.on('close', done);
    });
  let stdinData: ((d: Buffer) => void) | undefined;
  let stdinEnd: (() => void) | undefined;
  // both callbacks first: input that came early is kept until then
  const consumeStdin = () => {
    if (stdinData && stdinEnd) inboxes.get('stdin')?.consume(stdinData, stdinEnd);
  };
  return {
    stdout: (d) => write('stdout', d),
    stderr: (d) => write('stderr', d),
    finish(status: StreamStatus) {
      streams.get('error')?.write(Buffer.from(JSON.stringify(status) + '\n'));
      for (const s of streams.values()) s.end();
      conn.close();
    },
    abort: () => conn.destroy(),
    onStdin: (f) => {
      stdinData = f;
      consumeStdin();
    },
    onStdinClose: (f) => {
      stdinEnd = f;
      consumeStdin();
    },
    onResize: (f) => {
      let buf = '';
      inboxes.get('resize')?.consume(
        (d) => {
          buf += d.toString('utf8');
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            try {
              const s = JSON.parse(line) as TerminalSize;
              if (Number.isInteger(s.Width) && Number.isInteger(s.Height)) f({ Width: s.Width, Height: s.Height });
            } catch {
              // not a size
            }
          }
        },
        () => {},
      );
    },
    onClose: (f) => void conn.on('close', f),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}
