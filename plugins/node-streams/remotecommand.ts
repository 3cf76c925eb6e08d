// A client of the runtime's streaming server for one exec or attach session (the URL CRI's Exec or
// Attach returns: both speak remotecommand).
// containerd 1.6 embeds the kubelet's streaming server, which speaks (checked against it):
//   - SPDY/3.1 with X-Stream-Protocol-Version v4.channel.k8s.io (and v3, v2, v1),
//   - WebSocket with the channel.k8s.io / v4.channel.k8s.io subprotocols, not v5.
// WebSocket v4 cannot close stdin on its own (a command reading stdin to its end, like `cat`,
// would never see the end), so this client speaks SPDY, as the kube-apiserver does to kubelets:
// one SPDY stream each for error, stdin, stdout, stderr and resize (tty), per remotecommand v4.
// The error stream carries the final metav1.Status (Success, or NonZeroExitCode with the code).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { failure, type TerminalSize, type WireStatus } from './protocol.ts';
import { SpdyConnection, type SpdyStream } from '@skiff/client/api-frontend';

export const STREAM_PROTOCOL_V4 = 'v4.channel.k8s.io';

export interface ExecStreamsWanted {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
}

export interface RemoteExecOutput {
  onStdout(d: Buffer): void;
  onStderr(d: Buffer): void;
}

/** One exec session on the runtime's streaming server. */
export class RemoteExec {
  /** the final status, once stdout, stderr and the error stream have ended */
  readonly done: Promise<WireStatus>;
  private readonly streams: Partial<Record<'error' | 'stdin' | 'stdout' | 'stderr' | 'resize', SpdyStream>> = {};

  constructor(
    private readonly conn: SpdyConnection,
    wanted: ExecStreamsWanted,
    output: RemoteExecOutput,
  ) {
    const open = (type: 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize') => (this.streams[type] = conn.createStream({ streamtype: type }));
    const error = open('error');
    if (wanted.stdin) open('stdin');
    if (wanted.stdout) open('stdout');
    if (wanted.stderr && !wanted.tty) open('stderr');
    if (wanted.tty) open('resize');
    const ended = (s: SpdyStream | undefined) => (s ? (s.remoteEnded ? Promise.resolve() : new Promise<void>((r) => s.once('end', r))) : Promise.resolve());
    const out = this.streams.stdout;
    const err = this.streams.stderr;
    out?.on('data', (d: Buffer) => output.onStdout(d));
    err?.on('data', (d: Buffer) => output.onStderr(d));
    const errorBytes: Buffer[] = [];
    error.on('data', (d: Buffer) => errorBytes.push(d));
    this.done = Promise.all([ended(error), ended(out), ended(err)]).then(() => {
      // the server closes the connection after the status: nothing more will come
      this.conn.close();
      return parseStatus(Buffer.concat(errorBytes).toString('utf8'), conn.isClosed && errorBytes.length === 0);
    });
  }

  /** the underlying socket, to pause reading while the consumer is slow */
  get socket(): Duplex {
    return this.conn.socket;
  }

  writeStdin(data: Uint8Array): boolean {
    return this.streams.stdin?.write(data) ?? true;
  }

  /** The command sees the end of its stdin. */
  closeStdin(): void {
    this.streams.stdin?.end();
  }

  resize(size: TerminalSize): void {
    this.streams.resize?.write(Buffer.from(JSON.stringify({ Width: size.Width, Height: size.Height }) + '\n'));
  }

  onDrain(f: () => void): void {
    this.conn.once('drain', f);
  }

  /** Drops the connection (the client went away): the process's stdin ends. */
  abort(): void {
    this.conn.destroy();
  }
}

function parseStatus(text: string, lost: boolean): WireStatus {
  if (text.trim() === '') {
    return lost ? failure(500, 'InternalError', 'the connection to the container runtime ended without a status') : { metadata: {}, status: 'Success' };
  }
  try {
    const s = JSON.parse(text) as WireStatus;
    if (s && typeof s === 'object') return s;
  } catch {
    // v1-style plain text
  }
  return failure(500, 'InternalError', text.trim());
}

/** Connects to an exec or attach URL of the runtime's streaming server and opens the streams wanted. */
export async function connectExec(url: string, wanted: ExecStreamsWanted, output: RemoteExecOutput, opts: { timeoutMs?: number } = {}): Promise<RemoteExec> {
  return new RemoteExec(await dialSpdy(url, STREAM_PROTOCOL_V4, opts), wanted, output);
}

/** Upgrades a POST to a URL of the runtime's streaming server to SPDY/3.1 speaking `protocol`. */
export async function dialSpdy(url: string, protocol: string, opts: { timeoutMs?: number } = {}): Promise<SpdyConnection> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const { socket, head } = await new Promise<{ socket: Duplex; head: Buffer }>((resolve, reject) => {
    const req = request(u, {
      method: 'POST',
      // the runtime's self-signed streaming certificate, on a URL it handed us over its own socket
      ...(u.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocol, 'Content-Length': '0' },
      timeout: opts.timeoutMs ?? 10_000,
    });
    req.on('upgrade', (res: IncomingMessage, sock: Duplex, head: Buffer) => {
      const proto = res.headers['x-stream-protocol-version'];
      if (proto !== protocol) {
        sock.destroy();
        return reject(new Error(`the runtime's streaming server chose protocol ${String(proto)}, not ${protocol}`));
      }
      resolve({ socket: sock, head });
    });
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => reject(new Error(`the runtime's streaming server answered ${res.statusCode}: ${body.trim()}`)));
    });
    req.on('timeout', () => req.destroy(new Error('the runtime\'s streaming server did not answer in time')));
    req.on('error', reject);
    req.end();
  });
  const sock = socket as Duplex & { setNoDelay?: (b: boolean) => void; setTimeout?: (ms: number) => void };
  sock.setTimeout?.(0);
  sock.setNoDelay?.(true);
  const conn = new SpdyConnection(socket, 'client', head);
  conn.on('error', () => conn.destroy());
  return conn;
}
