// JetStream publishes with acks, made for a write path that does thousands a second.
// `js.publish` is a NATS request per write: a timer, a deferred and an Error (nats.js rejects the
// settled request with a fresh `RequestError` on cleanup) each time, and a socket write per
// microtask. Here every ack comes back on one wildcard inbox subscription, deadlines are swept once
// a second, and publishes made during one event-loop turn leave in one socket write.
// Nothing is sent while the store is down (the client would buffer it and send it after the
// outage); a publish whose ack does not come (timeout, connection lost, store stopped answering) is
// rejected as PublishInDoubt: it may or may not have been stored, and only the caller can find out.
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { JetStreamApiError } from '@nats-io/jetstream';
import type { StoreHealth } from './store-health.ts';

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

/** A publish that was sent but whose outcome is unknown. */
export class PublishInDoubt extends Error {
  constructor(subject: string, why: string) {
    super(`no JetStream ack for a publish to ${subject}: ${why}`);
    this.name = 'PublishInDoubt';
  }
}

/** JetStream answered that no stream took the message (JetStream not running or still recovering): nothing was stored. */
export class NoStream extends Error {
  constructor() {
    super('no JetStream stream responded (JetStream is not enabled, or still starting)');
    this.name = 'NoStream';
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

  private readonly offDown?: () => void;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 10_000,
    private readonly health?: StoreHealth,
  ) {
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (err, msg) => (err ? this.failAll(err) : this.onReply(msg)) });
    this.sweeper = setInterval(() => this.sweep(), 250);
    this.sweeper.unref();
    void nc.closed().then((e) => this.failAll(e ?? new Error('the NATS connection is closed')));
    // the store went away: what is waiting for an ack may never get one
    this.offDown = health?.onDown(() => this.doubtAll('the object store became unavailable'));
  }

  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<PubAck> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.health && !this.health.isUp) return Promise.reject(this.health.unavailable());
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
    const down = this.health && !this.health.isUp ? this.health.unavailable() : undefined;
    for (const o of batch) {
      if (down) {
        // not sent: a definite failure
        this.settle(o.reply.slice(this.prefix.length + 1))?.reject(down);
        continue;
      }
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
      p.reject(msg.headers.code === 503 ? new NoStream() : new Error(`JetStream publish failed: ${msg.headers.code} ${msg.headers.description}`));
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
      p.reject(new PublishInDoubt(p.subject, `none within ${this.timeoutMs} ms`));
    }
  }

  private doubtAll(why: string): void {
    for (const p of this.pending.values()) p.reject(new PublishInDoubt(p.subject, why));
    this.pending.clear();
  }

  private failAll(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  close(): void {
    this.offDown?.();
    clearInterval(this.sweeper);
    this.sub.unsubscribe();
    this.failAll(new Error('the publisher is closed'));
  }
}
