// SPDY/3.1 framing, the part Kubernetes' streaming protocols use (moby/spdystream under
// k8s.io/apimachinery's httpstream/spdy): SYN_STREAM / SYN_REPLY / DATA / RST_STREAM / PING /
// GOAWAY, header blocks compressed with zlib and the SPDY/3 dictionary. Both ends: the agent is a
// client of containerd's streaming server, the API server is a server for kubectl's SPDY exec.
//
// Not implemented, as spdystream does not use them either: flow control (WINDOW_UPDATE is
// ignored, no window is enforced: TCP back-pressure is the flow control), SETTINGS, server push,
// priorities. Header blocks we send are zlib "stored" blocks (a valid zlib stream, uncompressed):
// no compressor state to keep in step. Header blocks we receive are inflated by re-inflating
// everything received so far (zlib's stream spans frames; a handful of small blocks per
// connection), capped at MAX_HEADER_BYTES.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { constants, inflateSync } from 'node:zlib';

/** The SPDY/3 header-compression dictionary (draft-mbelshe-httpbis-spdy-00 2.6.10.1), 1423 bytes. */
export const SPDY_DICTIONARY = Buffer.from(
  '\x00\x00\x00\x07options\x00\x00\x00\x04head\x00\x00\x00\x04post\x00\x00\x00\x03put\x00\x00\x00' +
  '\x06delete\x00\x00\x00\x05trace\x00\x00\x00\x06accept\x00\x00\x00\x0eaccept-charset\x00\x00\x00' +
  '\x0faccept-encoding\x00\x00\x00\x0faccept-language\x00\x00\x00\x0daccept-ranges\x00\x00\x00\x03a' +
  'ge\x00\x00\x00\x05allow\x00\x00\x00\x0dauthorization\x00\x00\x00\x0dcache-control\x00\x00\x00' +
  '\x0aconnection\x00\x00\x00\x0ccontent-base\x00\x00\x00\x10content-encoding\x00\x00\x00\x10conten' +
  't-language\x00\x00\x00\x0econtent-length\x00\x00\x00\x10content-location\x00\x00\x00\x0bcontent-' +
  'md5\x00\x00\x00\x0dcontent-range\x00\x00\x00\x0ccontent-type\x00\x00\x00\x04date\x00\x00\x00\x04' +
  'etag\x00\x00\x00\x06expect\x00\x00\x00\x07expires\x00\x00\x00\x04from\x00\x00\x00\x04host\x00' +
  '\x00\x00\x08if-match\x00\x00\x00\x11if-modified-since\x00\x00\x00\x0dif-none-match\x00\x00\x00' +
  '\x08if-range\x00\x00\x00\x13if-unmodified-since\x00\x00\x00\x0dlast-modified\x00\x00\x00\x08loca' +
  'tion\x00\x00\x00\x0cmax-forwards\x00\x00\x00\x06pragma\x00\x00\x00\x12proxy-authenticate\x00\x00' +
  '\x00\x13proxy-authorization\x00\x00\x00\x05range\x00\x00\x00\x07referer\x00\x00\x00\x0bretry-aft' +
  'er\x00\x00\x00\x06server\x00\x00\x00\x02te\x00\x00\x00\x07trailer\x00\x00\x00\x11transfer-encodi' +
  'ng\x00\x00\x00\x07upgrade\x00\x00\x00\x0auser-agent\x00\x00\x00\x04vary\x00\x00\x00\x03via\x00' +
  '\x00\x00\x07warning\x00\x00\x00\x10www-authenticate\x00\x00\x00\x06method\x00\x00\x00\x03get\x00' +
  '\x00\x00\x06status\x00\x00\x00\x06200 OK\x00\x00\x00\x07version\x00\x00\x00\x08HTTP/1.1\x00\x00' +
  '\x00\x03url\x00\x00\x00\x06public\x00\x00\x00\x0aset-cookie\x00\x00\x00\x0akeep-alive\x00\x00' +
  '\x00\x06origin1001012012022052063003023033043053063074024054064074084094104114124134144154164175' +
  '02504505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 U' +
  'nauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Una' +
  'vailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, ' +
  'Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,te' +
  'xt/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,u' +
  'tf-,*,enq=0.',
  'latin1',
);

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const FLAG_FIN = 0x01;
/** payload bytes per DATA frame we send */
const DATA_CHUNK = 32 * 1024;
/** compressed header bytes accepted per connection */
const MAX_HEADER_BYTES = 256 * 1024;
/** frames larger than this are a protocol error (the format allows 16 MiB) */
const MAX_FRAME = 1024 * 1024;

export const RstStatus = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, Cancel: 5, InternalError: 6 } as const;

/** Header names are lower case; a name may have several values. */
export type SpdyHeaders = Record<string, string[]>;

export function encodeHeaderBlock(h: Record<string, string | string[]>): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  const entries = Object.entries(h);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(Array.isArray(value) ? value.join('\0') : value);
    const ln = Buffer.alloc(4);
    ln.writeUInt32BE(n.length);
    const lv = Buffer.alloc(4);
    lv.writeUInt32BE(v.length);
    parts.push(ln, n, lv, v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): SpdyHeaders {
  const h: SpdyHeaders = {};
  let off = 0;
  const u32 = () => {
    if (off + 4 > b.length) throw new Error('truncated header block');
    const v = b.readUInt32BE(off);
    off += 4;
    return v;
  };
  const bytes = (n: number) => {
    if (off + n > b.length) throw new Error('truncated header block');
    const s = b.subarray(off, off + n).toString('utf8');
    off += n;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = bytes(u32()).toLowerCase();
    const values = bytes(u32()).split('\0');
    (h[name] ??= []).push(...values);
  }
  return h;
}

const SYNC_MARK = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/** The zlib stream of our header blocks: stored (uncompressed) deflate blocks. */
class HeaderWriter {
  private started = false;
  encode(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      parts.push(Buffer.from([0x78, 0x01])); // deflate, 32 KiB window, no preset dictionary
      this.started = true;
    }
    for (let off = 0; off < block.length; off += 0xffff) {
      const piece = block.subarray(off, Math.min(block.length, off + 0xffff));
      const hdr = Buffer.alloc(5);
      hdr[0] = 0x00; // BFINAL 0, BTYPE 00 (stored), padded to the byte
      hdr.writeUInt16LE(piece.length, 1);
      hdr.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(hdr, piece);
    }
    // an empty stored block, as a sync flush ends with: Go's inflater hands out what it has only
    // at such a block (without it, it reads on for the next block and fails at the frame's end)
    parts.push(SYNC_MARK);
    return Buffer.concat(parts);
  }
}

/** The peer's zlib stream of header blocks, inflated with the dictionary. */
class HeaderReader {
  private input: Buffer[] = [];
  private inputBytes = 0;
  private outLen = 0;
  decode(block: Buffer): SpdyHeaders {
    this.inputBytes += block.length;
    if (this.inputBytes > MAX_HEADER_BYTES) throw new Error('too many header bytes on one connection');
    this.input.push(block);
    const all = inflateSync(Buffer.concat(this.input), { dictionary: SPDY_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    const mine = all.subarray(this.outLen);
    this.outLen = all.length;
    return decodeHeaderBlock(mine);
  }
}

export class SpdyStream extends EventEmitter {
  /** the peer has sent FIN (or reset, or the connection is gone) */
  remoteEnded = false;
  /** we have sent FIN (or reset) */
  localEnded = false;
  replyHeaders: SpdyHeaders | undefined;

  constructor(
    private readonly conn: SpdyConnection,
    readonly id: number,
    /** the SYN_STREAM's headers (ours for a stream we opened) */
    readonly headers: SpdyHeaders,
  ) {
    super();
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** SYN_REPLY, for a stream the peer opened. */
  reply(headers: Record<string, string | string[]> = {}, fin = false): void {
    this.conn.sendControl(SYN_REPLY, fin ? FLAG_FIN : 0, Buffer.concat([u32(this.id), this.conn.headerBlock(headers)]));
    if (fin) this.localEnded = true;
  }

  /** Writes bytes (in DATA frames); false when the socket's buffer is full (wait for the connection's 'drain'). */
  write(data: Uint8Array): boolean {
    if (this.localEnded) return false;
    let ok = true;
    for (let off = 0; off < data.length; off += DATA_CHUNK) ok = this.conn.sendData(this.id, 0, data.subarray(off, Math.min(data.length, off + DATA_CHUNK)));
    return ok;
  }

  /** FIN: no more data from us. */
  end(): void {
    if (this.localEnded) return;
    this.localEnded = true;
    this.conn.sendData(this.id, FLAG_FIN, new Uint8Array(0));
    this.conn.maybeForget(this);
  }

  reset(status: number = RstStatus.Cancel): void {
    if (this.localEnded && this.remoteEnded) return;
    this.conn.sendControl(RST_STREAM, 0, Buffer.concat([u32(this.id), u32(status)]));
    this.localEnded = true;
    this.remoteDone();
  }

  /** @internal */
  remoteDone(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.emit('end');
    this.conn.maybeForget(this);
  }
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

export interface SpdyConnectionEvents {
  stream: [SpdyStream];
  close: [];
  error: [Error];
  drain: [];
}

/**
 * One SPDY/3.1 connection over an upgraded socket. Events: 'stream' (the peer opened one: reply
 * to it), 'drain', 'close' (the socket is gone; every stream has seen 'end' by then), 'error'.
 * Streams emit 'data' (Buffer), 'reply', 'end'.
 */
export class SpdyConnection extends EventEmitter<SpdyConnectionEvents> {
  private readonly streams = new Map<number, SpdyStream>();
  private nextId: number;
  private lastPeerId = 0;
  private buf: Buffer = Buffer.alloc(0);
  private readonly writer = new HeaderWriter();
  private readonly reader = new HeaderReader();
  private closed = false;
  /** the peer sent GOAWAY */
  goneAway = false;

  constructor(
    readonly socket: Duplex,
    readonly role: 'client' | 'server',
    head?: Buffer,
  ) {
    super();
    this.nextId = role === 'client' ? 1 : 2;
    socket.on('data', (d: Buffer) => this.onBytes(d));
    socket.on('drain', () => this.emit('drain'));
    socket.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    socket.on('close', () => this.onClose());
    // the peer is done: so are we (a half-open socket would keep a closing server waiting)
    socket.on('end', () => {
      this.onClose();
      socket.end();
    });
    if (head && head.length) queueMicrotask(() => this.onBytes(head));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens a stream (SYN_STREAM); its 'reply' event carries the peer's SYN_REPLY headers. */
  createStream(headers: Record<string, string | string[]>): SpdyStream {
    const id = this.nextId;
    this.nextId += 2;
    const norm: SpdyHeaders = {};
    for (const [k, v] of Object.entries(headers)) norm[k.toLowerCase()] = Array.isArray(v) ? v : [v];
    const s = new SpdyStream(this, id, norm);
    this.streams.set(id, s);
    // stream id, associated-to 0, priority 0 and slot 0, then the header block
    this.sendControl(SYN_STREAM, 0, Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), this.headerBlock(headers)]));
    return s;
  }

  /** GOAWAY, then the socket ends once what is queued is written. */
  close(): void {
    if (this.closed) return;
    this.sendControl(GOAWAY, 0, Buffer.concat([u32(this.lastPeerId), u32(0)]));
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
    this.onClose();
  }

  /** @internal */
  headerBlock(h: Record<string, string | string[]>): Buffer {
    return this.writer.encode(encodeHeaderBlock(h));
  }

  /** @internal */
  sendControl(type: number, flags: number, payload: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    const hdr = Buffer.alloc(8);
    hdr.writeUInt16BE(0x8000 | VERSION, 0);
    hdr.writeUInt16BE(type, 2);
    hdr.writeUInt32BE(payload.length, 4);
    hdr[4] = flags;
    return this.socket.write(Buffer.concat([hdr, payload]));
  }

  /** @internal */
  sendData(id: number, flags: number, data: Uint8Array): boolean {
    if (this.closed || this.socket.destroyed) return false;
    const hdr = Buffer.alloc(8);
    hdr.writeUInt32BE(id & 0x7fffffff, 0);
    hdr.writeUInt32BE(data.length, 4);
    hdr[4] = flags;
    return this.socket.write(data.length ? Buffer.concat([hdr, data]) : hdr);
  }

  /** @internal */
  maybeForget(s: SpdyStream): void {
    if (s.localEnded && s.remoteEnded) this.streams.delete(s.id);
  }

  private onBytes(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 8 && !this.closed) {
      const len = this.buf.readUIntBE(5, 3);
      if (len > MAX_FRAME) return this.fail(new Error(`SPDY frame of ${len} bytes is too large`));
      if (this.buf.length < 8 + len) break;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      try {
        this.onFrame(frame);
      } catch (e) {
        return this.fail(e as Error);
      }
    }
  }

  private onFrame(f: Buffer): void {
    const flags = f[4]!;
    const payload = f.subarray(8);
    if ((f[0]! & 0x80) === 0) {
      const id = f.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      if (!s) return; // a stream we reset or forgot
      if (payload.length) s.emit('data', Buffer.from(payload));
      if (flags & FLAG_FIN) s.remoteDone();
      return;
    }
    const version = f.readUInt16BE(0) & 0x7fff;
    if (version !== VERSION) throw new Error(`SPDY version ${version} is not supported`);
    switch (f.readUInt16BE(2)) {
      case SYN_STREAM: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = this.reader.decode(payload.subarray(10));
        this.lastPeerId = Math.max(this.lastPeerId, id);
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        this.emit('stream', s);
        if (flags & FLAG_FIN) s.remoteDone();
        return;
      }
      case SYN_REPLY: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = this.reader.decode(payload.subarray(4));
        const s = this.streams.get(id);
        if (!s) return;
        s.replyHeaders = headers;
        s.emit('reply', headers);
        if (flags & FLAG_FIN) s.remoteDone();
        return;
      }
      case RST_STREAM: {
        const s = this.streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        if (!s) return;
        s.localEnded = true;
        s.emit('reset', payload.readUInt32BE(4));
        s.remoteDone();
        return;
      }
      case PING: {
        const id = payload.readUInt32BE(0);
        // the peer's pings (odd ids from a client, even from a server) are echoed
        if ((id % 2 === 1) === (this.role === 'server')) this.sendControl(PING, 0, payload.subarray(0, 4));
        return;
      }
      case GOAWAY:
        this.goneAway = true;
        return;
      default:
        return; // SETTINGS, HEADERS, WINDOW_UPDATE, CREDENTIAL: nothing to do
    }
  }

  private fail(e: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
    this.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) {
      s.localEnded = true;
      s.remoteDone();
    }
    this.streams.clear();
    this.emit('close');
  }
}
