// JetStream publishes with acks, made for a write path that does thousands a second.
// `js.publish` is a NATS request per write: a timer, a deferred and an Error (nats.js rejects the
// settled request with a fresh `RequestError` on cleanup) each time, and a socket write per
// microtask. Here every ack comes back on one wildcard inbox subscription, deadlines are swept once
// a second, and publishes made during one event-loop turn leave in one socket write.
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { JetStreamApiError } from '@nats-io/jetstream';

export interface PubAck {
  stream: string;
  seq: number;
}

interface Pending {
  resolve: (ack: PubAck) => void;
  reject: (e: Error) => void;
  deadline: number;
  subject: string;
}

interface Outgoing {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs;
  reply: string;
}

export class PublishTimeout extends Error {
  constructor(subject: string, ms: number) {
    super(`no JetStream ack for a publish to ${subject} within ${ms} ms`);
    this.name = 'PublishTimeout';
  }
}

export class AckPublisher {
  private readonly prefix = createInbox();
  private readonly sub: Subscription;
  private readonly pending = new Map<string, Pending>();
  private readonly outgoing: Outgoing[] = [];
  private flushScheduled = false;
  private nextId = 0;
  private readonly sweeper: NodeJS.Timeout;
  private closedError?: Error;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 10_000,
  ) {
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (err, msg) => (err ? this.failAll(err) : this.onReply(msg)) });
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
    void nc.closed().then((e) => this.failAll(e ?? new Error('the NATS connection is closed')));
  }

  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<PubAck> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = (this.nextId++).toString(36);
    const reply = `${this.prefix}.${id}`;
    return new Promise<PubAck>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: Date.now() + this.timeoutMs, subject });
      this.outgoing.push({ subject, data, headers, reply });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Every publish queued this turn, handed to the client in one go (it writes them together). */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.outgoing.splice(0);
    for (const o of batch) {
      try {
        this.nc.publish(o.subject, o.data, { reply: o.reply, headers: o.headers });
      } catch (e) {
        this.settle(o.reply.slice(this.prefix.length + 1))?.reject(e as Error);
      }
    }
  }

  private settle(id: string): Pending | undefined {
    const p = this.pending.get(id);
    if (p) this.pending.delete(id);
    return p;
  }

  private onReply(msg: Msg): void {
    const p = this.settle(msg.subject.slice(this.prefix.length + 1));
    if (!p) return; // timed out already
    if (msg.headers?.hasError) {
      // 503: no JetStream stream listens on the subject
      p.reject(new Error(msg.headers.code === 503 ? 'no JetStream stream responded (is JetStream enabled?)' : `JetStream publish failed: ${msg.headers.code} ${msg.headers.description}`));
      return;
    }
    let r: { stream?: string; seq?: number; error?: { code: number; err_code: number; description: string } };
    try {
      r = msg.json();
    } catch (e) {
      p.reject(new Error(`invalid JetStream ack: ${String(e)}`));
      return;
    }
    if (r.error) p.reject(new JetStreamApiError(r.error));
    else if (typeof r.seq !== 'number' || !r.stream) p.reject(new Error('invalid JetStream ack'));
    else p.resolve({ stream: r.stream, seq: r.seq });
  }

  /** Deadlines are in publish order, so the expired ones are at the front. */
  private sweep(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) break;
      this.pending.delete(id);
      p.reject(new PublishTimeout(p.subject, this.timeoutMs));
    }
  }

  private failAll(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sub.unsubscribe();
    this.failAll(new Error('the publisher is closed'));
  }
}
