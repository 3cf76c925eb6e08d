// A client of the runtime's streaming server for one port-forward connection (the URL CRI's
// PortForward returns). containerd's server speaks the kubelet's SPDY protocol portforward.k8s.io:
// the client opens, per connection, an error stream and then a data stream, both with headers
// streamType, port and requestID; the server dials the port inside the sandbox's network namespace
// and copies bytes both ways on the data stream; a failure (nothing listens there) comes as text on
// the error stream, and the streams end when either side of the connection is done.
import type { Duplex } from 'node:stream';
import type { SpdyConnection, SpdyStream } from '@skiff/client/api-frontend';
import { dialSpdy } from './remotecommand.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

export interface RemotePortOutput {
  onData(d: Buffer): void;
}

/** One forwarded connection on the runtime's streaming server. */
export class RemotePortForward {
  /** once the data stream has ended: the error text the runtime sent ('' when none) */
  readonly done: Promise<string>;
  private readonly data: SpdyStream;

  constructor(
    private readonly conn: SpdyConnection,
    port: number,
    output: RemotePortOutput,
  ) {
    const headers = { port: String(port), requestid: '0' };
    const error = conn.createStream({ streamtype: 'error', ...headers });
    this.data = conn.createStream({ streamtype: 'data', ...headers });
    // the client writes nothing on the error stream
    error.end();
    const errorBytes: Buffer[] = [];
    error.on('data', (d: Buffer) => errorBytes.push(d));
    this.data.on('data', (d: Buffer) => output.onData(d));
    const ended = (s: SpdyStream) => (s.remoteEnded ? Promise.resolve() : new Promise<void>((r) => s.once('end', r)));
    // the error text comes before the data stream's end, or the connection closes
    this.done = ended(this.data).then(async () => {
      await Promise.race([ended(error), new Promise((r) => setTimeout(r, 200))]);
      this.conn.close();
      return Buffer.concat(errorBytes).toString('utf8').trim();
    });
  }

  get socket(): Duplex {
    return this.conn.socket;
  }

  write(d: Uint8Array): boolean {
    return this.data.write(d);
  }

  /** half-close towards the port */
  closeWrite(): void {
    this.data.end();
  }

  onDrain(f: () => void): void {
    this.conn.once('drain', f);
  }

  abort(): void {
    this.conn.destroy();
  }
}

export async function connectPortForward(url: string, port: number, output: RemotePortOutput, opts: { timeoutMs?: number } = {}): Promise<RemotePortForward> {
  return new RemotePortForward(await dialSpdy(url, PORT_FORWARD_PROTOCOL, opts), port, output);
}
