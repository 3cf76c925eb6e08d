// One end of a node-streams session (protocol.ts): framing, sequence numbers, the credit window
// for DATA, acknowledgements, keepalive and idle detection, and END. Both the agent and the API
// server use it; what the bytes mean is theirs.
import { createInbox, RequestError, TimeoutError, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { PodStreamError, StreamEndedError } from '@skiff/client/api-frontend';
import {
  DEFAULT_WINDOW, failure, FrameType, IDLE_MS, MAX_CHUNK, OPEN_TIMEOUT_MS, PING_MS, PROTOCOL_VERSION,
  type ControlMessage, type EndMessage, type OpenReply, type WireStatus,
} from './protocol.ts';

export interface SessionHandlers {
  /** DATA, in order; the bytes count as consumed (acknowledged) when the returned promise settles */
  onData(stream: number, data: Uint8Array): void | Promise<void>;
  /** CTRL, in order with DATA */
  onControl?(msg: ControlMessage): void | Promise<void>;
  /** once, when the session is over: the peer's END, or a local reason (`remote` false) */
  onEnd?(end: EndMessage, remote: boolean): void;
}

export interface SessionOptions {
  /** how much DATA the peer accepts unacknowledged (its window) */
  sendWindow?: number;
  /** how much DATA we accept unacknowledged (announced to the peer) */
  recvWindow?: number;
  pingMs?: number;
  idleMs?: number;
}

/** Thrown by sendData once the session is over. */
export { StreamEndedError as SessionEndedError };

const enc = new TextEncoder();
const dec = new TextDecoder();

export class Session {
  readonly inbox: string;
  readonly recvWindow: number;
  private peer: string | undefined;
  private sendWindow: number;
  private readonly pingMs: number;
  private readonly idleMs: number;
  private readonly chunk: number;
  private txSeq = 0;
  private rxSeq = 0;
  private sent = 0;
  private acked = 0;
  private consumed = 0;
  private received = 0;
  private ackedConsumed = 0;
  private ackTimer: NodeJS.Timeout | undefined;
  private readonly timer: NodeJS.Timeout;
  private lastTx = Date.now();
  private lastRx = Date.now();
  private creditWaiters: (() => void)[] = [];
  private writableWaiters: (() => void)[] = [];
  private queued = 0;
  private tx: Promise<void> = Promise.resolve();
  private rx: Promise<void> = Promise.resolve();
  private ended = false;
  private readonly pending: Uint8Array[] = [];
  private resolveDone!: (e: EndMessage) => void;
  /** resolves with how the session ended */
  readonly done: Promise<EndMessage>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly sub: Subscription,
    private readonly handlers: SessionHandlers,
    opts: SessionOptions & { peer?: string } = {},
  ) {
    this.inbox = sub.getSubject();
    this.peer = opts.peer;
    this.sendWindow = opts.sendWindow ?? DEFAULT_WINDOW;
    this.recvWindow = opts.recvWindow ?? DEFAULT_WINDOW;
    this.pingMs = opts.pingMs ?? PING_MS;
    this.idleMs = opts.idleMs ?? IDLE_MS;
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    this.chunk = Math.max(1024, Math.min(MAX_CHUNK, maxPayload - 64));
    this.done = new Promise((r) => (this.resolveDone = r));
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.min(this.pingMs, this.idleMs) / 2));
    this.timer.unref();
  }

  /** Creates the inbox subscription and the session on it (frames are handled from now on). */
  static create(nc: NatsConnection, handlers: SessionHandlers, opts: SessionOptions & { peer?: string } = {}): Session {
    let session: Session | undefined;
    const early: Msg[] = [];
    const sub = nc.subscribe(createInbox(), {
      callback: (err, msg) => {
        if (err) return session?.finish({ error: failure(503, 'ServiceUnavailable', `node stream: ${err.message}`) }, false);
        if (session) session.receive(msg);
        else early.push(msg);
      },
    });
    session = new Session(nc, sub, handlers, opts);
    for (const m of early) session.receive(m);
    return session;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** DATA byte counts: sent / acknowledged by the peer, received / consumed here */
  get stats(): { sent: number; acked: number; received: number; consumed: number } {
    return { sent: this.sent, acked: this.acked, received: this.received, consumed: this.consumed };
  }

  /** Whether DATA would wait for credit now. */
  get blocked(): boolean {
    return this.sent - this.acked + this.queued >= this.sendWindow;
  }

  /** Frames arriving before the peer is known are handled; ours wait until it is. */
  setPeer(subject: string, sendWindow: number): void {
    this.peer = subject;
    this.sendWindow = sendWindow;
    this.lastRx = Date.now();
    for (const f of this.pending.splice(0)) this.publishRaw(f);
  }

  /**
   * Sends bytes on a stream, in chunks, each once the peer's window has room. Calls are queued:
   * bytes go out in the order of the calls. Rejects with SessionEndedError once the session is over.
   */
  sendData(stream: number, data: Uint8Array): Promise<void> {
    this.queued += data.length;
    const p = this.tx.then(() => this.sendNow(stream, data));
    this.tx = p.catch(() => {});
    return p;
  }

  /** Resolves when the peer's window has room again (at once if it has, or the session is over). */
  whenWritable(): Promise<void> {
    if (!this.blocked || this.ended) return Promise.resolve();
    return new Promise((r) => this.writableWaiters.push(r));
  }

  private async sendNow(stream: number, data: Uint8Array): Promise<void> {
    try {
      for (let off = 0; off < data.length; off += this.chunk) {
        const part = data.subarray(off, Math.min(data.length, off + this.chunk));
        while (!this.ended && this.sent > this.acked && this.sent - this.acked + part.length > this.sendWindow) {
          await new Promise<void>((r) => this.creditWaiters.push(r));
        }
        if (this.ended) throw new StreamEndedError();
        const body = new Uint8Array(1 + part.length);
        body[0] = stream;
        body.set(part, 1);
        this.sent += part.length;
        this.queued -= part.length;
        this.publish(FrameType.Data, body);
      }
    } catch (e) {
      this.queued = 0;
      throw e;
    }
  }

  /** CTRL, after the DATA already handed to sendData (stdin's end comes after stdin's bytes). */
  sendControl(msg: ControlMessage): void {
    const body = enc.encode(JSON.stringify(msg));
    this.tx = this.tx.then(() => {
      if (!this.ended) this.publish(FrameType.Ctrl, body);
    });
  }

  /** Ends the session: tells the peer (END with `msg`) and stops. Idempotent. */
  end(msg: EndMessage = {}): void {
    if (this.ended) return;
    this.publish(FrameType.End, enc.encode(JSON.stringify(msg)));
    this.finish(msg, false);
  }

  /** Ends after the DATA already handed to sendData has gone out (in order), e.g. the exit status after the output. */
  async endAfterData(msg: EndMessage = {}): Promise<void> {
    await this.tx;
    this.end(msg);
  }

  /** Stops without telling the peer (it never learnt of us, or is gone). */
  abandon(msg: EndMessage = {}): void {
    this.finish(msg, false);
  }

  private publish(type: number, body: Uint8Array): void {
    const frame = new Uint8Array(5 + body.length);
    frame[0] = type;
    new DataView(frame.buffer).setUint32(1, ++this.txSeq);
    frame.set(body, 5);
    if (!this.peer) {
      this.pending.push(frame);
      return;
    }
    this.publishRaw(frame);
  }

  private publishRaw(frame: Uint8Array): void {
    try {
      this.nc.publish(this.peer!, frame);
      this.lastTx = Date.now();
    } catch (e) {
      this.finish({ error: failure(503, 'ServiceUnavailable', `node stream: ${(e as Error).message}`) }, false);
    }
  }

  private receive(msg: Msg): void {
    if (this.ended) return;
    const d = msg.data;
    if (d.length < 5) return;
    const type = d[0]!;
    const seq = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(1);
    if (seq !== this.rxSeq + 1) {
      const error = failure(500, 'InternalError', `node stream: frames lost (expected ${this.rxSeq + 1}, got ${seq})`);
      return this.end({ error });
    }
    this.rxSeq = seq;
    this.lastRx = Date.now();
    const body = d.subarray(5);
    switch (type) {
      case FrameType.Ack: {
        this.acked = Math.max(this.acked, new DataView(body.buffer, body.byteOffset, body.byteLength).getFloat64(0));
        for (const w of this.creditWaiters.splice(0)) w();
        if (!this.blocked) for (const w of this.writableWaiters.splice(0)) w();
        return;
      }
      case FrameType.Ping:
        return;
      case FrameType.Data: {
        const stream = body[0]!;
        const bytes = body.subarray(1);
        this.received += bytes.length;
        if (this.received - this.consumed > 2 * this.recvWindow + this.chunk) {
          return this.end({ error: failure(500, 'InternalError', 'node stream: the other side ignores the window') });
        }
        this.rx = this.rx.then(async () => {
          if (this.ended) return;
          try {
            await this.handlers.onData(stream, bytes);
          } finally {
            this.consumedBytes(bytes.length);
          }
        }).catch((e) => this.end({ error: failure(500, 'InternalError', `node stream: ${(e as Error).message}`) }));
        return;
      }
      case FrameType.Ctrl: {
        let m: ControlMessage;
        try {
          m = JSON.parse(dec.decode(body));
        } catch {
          return;
        }
        this.rx = this.rx.then(async () => {
          if (!this.ended) await this.handlers.onControl?.(m);
        }).catch((e) => this.end({ error: failure(500, 'InternalError', `node stream: ${(e as Error).message}`) }));
        return;
      }
      case FrameType.End: {
        let m: EndMessage = {};
        try {
          m = JSON.parse(dec.decode(body));
        } catch {
          // an END is an END
        }
        // what was sent before the END is delivered first
        this.rx = this.rx.then(() => this.finish(m, true));
        return;
      }
    }
  }

  private consumedBytes(n: number): void {
    this.consumed += n;
    if (this.consumed - this.ackedConsumed >= this.recvWindow / 4) return this.sendAck();
    this.ackTimer ??= setTimeout(() => this.sendAck(), 5);
  }

  private sendAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.ended || this.consumed === this.ackedConsumed) return;
    this.ackedConsumed = this.consumed;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, this.consumed);
    this.publish(FrameType.Ack, b);
  }

  private tick(): void {
    if (this.ended || !this.peer) return;
    const now = Date.now();
    if (now - this.lastRx > this.idleMs) {
      return this.end({ error: failure(504, 'Timeout', `node stream: the other side has been silent for ${Math.round((now - this.lastRx) / 1000)} s`) });
    }
    if (now - this.lastTx >= this.pingMs) this.publish(FrameType.Ping, new Uint8Array(0));
  }

  private finish(msg: EndMessage, remote: boolean): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    if (this.ackTimer) clearTimeout(this.ackTimer);
    for (const w of this.creditWaiters.splice(0)) w();
    for (const w of this.writableWaiters.splice(0)) w();
    this.sub.unsubscribe();
    try {
      this.handlers.onEnd?.(msg, remote);
    } finally {
      this.resolveDone(msg);
    }
  }
}

/** A Status error (what an open reply carries) as a throwable. */
export { PodStreamError as NodeStreamError };

/**
 * The client side of opening: a session on a fresh inbox, the request on `subject`, and the
 * agent's answer. Rejects with a NodeStreamError (503 no agent, 504 no answer, or the agent's
 * Status).
 */
export async function openSession(
  nc: NatsConnection,
  subject: string,
  request: Record<string, unknown>,
  handlers: SessionHandlers,
  opts: SessionOptions & { openTimeoutMs?: number; nodeName?: string; signal?: AbortSignal } = {},
): Promise<Session> {
  const session = Session.create(nc, handlers, opts);
  const node = opts.nodeName ? `node "${opts.nodeName}"` : 'the node';
  let reply: Msg;
  try {
    reply = await nc.request(subject, JSON.stringify({ v: PROTOCOL_VERSION, ...request, inbox: session.inbox, window: session.recvWindow }), {
      timeout: opts.openTimeoutMs ?? OPEN_TIMEOUT_MS,
    });
  } catch (e) {
    session.abandon();
    if (e instanceof RequestError && e.isNoResponders()) {
      throw new PodStreamError(failure(503, 'ServiceUnavailable', `${node} is not reachable: no agent of it is connected`));
    }
    if (e instanceof TimeoutError || (e instanceof RequestError && e.cause instanceof TimeoutError)) {
      throw new PodStreamError(failure(504, 'Timeout', `${node} did not answer in time`));
    }
    throw new PodStreamError(failure(503, 'ServiceUnavailable', `${node}: ${(e as Error).message}`));
  }
  let r: OpenReply;
  try {
    r = reply.json<OpenReply>();
  } catch {
    session.abandon();
    throw new PodStreamError(failure(500, 'InternalError', `${node} answered something that is not JSON`));
  }
  if ('error' in r) {
    session.abandon();
    throw new PodStreamError(r.error);
  }
  if (opts.signal?.aborted) {
    session.setPeer(r.ok.inbox, r.ok.window);
    session.end();
    throw new PodStreamError(failure(499, 'Cancelled', 'the client went away'));
  }
  session.setPeer(r.ok.inbox, r.ok.window);
  return session;
}
