// Whether the object store (NATS with JetStream) can be used right now. The NATS client's own
// status says when the connection drops; a probe (a PING round trip every PROBE_MS) says when a
// connected server stops answering (a stopped or overloaded process keeps its TCP connection).
// While the store is down, the kernel answers 503 at once instead of sending anything: a write
// sent into a dead connection would be buffered by the client and applied after the outage.
import type { NatsConnection } from '@nats-io/nats-core';
import { errors, type StatusError } from '../status.ts';

export const PROBE_MS = 500;
/** a PING round trip slower than this marks the store down */
export const PROBE_TIMEOUT_MS = 1000;

export interface StoreHealthSnapshot {
  up: boolean;
  /** why it is down */
  reason?: string;
  /** ms since the last change */
  sinceMs: number;
  /** outages seen */
  outages: number;
}

export class StoreHealth {
  private up = true;
  private reason?: string;
  private changedAt = Date.now();
  private outages = 0;
  private connected = true;
  private readonly upListeners = new Set<() => void>();
  private readonly downListeners = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;
  private probing = false;
  private stopped = false;

  constructor(private readonly nc: NatsConnection) {
    void (async () => {
      for await (const s of nc.status()) {
        if (this.stopped) return;
        if (s.type === 'disconnect') {
          this.connected = false;
          this.markDown('the connection to NATS was lost; reconnecting');
        } else if (s.type === 'reconnect') {
          this.connected = true;
          void this.probe();
        }
      }
    })().catch(() => {});
    void nc.closed().then(() => {
      this.connected = false;
      this.markDown('the NATS connection is closed');
    });
    this.timer = setInterval(() => void this.probe(), PROBE_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  get isUp(): boolean {
    return this.up;
  }

  snapshot(): StoreHealthSnapshot {
    return { up: this.up, reason: this.reason, sinceMs: Date.now() - this.changedAt, outages: this.outages };
  }

  /** The 503 a request gets while the store is down. */
  unavailable(): StatusError {
    return errors.serviceUnavailable(`the object store is unavailable (${this.reason ?? 'not answering'}); retry later`, 1);
  }

  /** Throws the 503 while the store is down. */
  assertUp(): void {
    if (!this.up) throw this.unavailable();
  }

  /** Resolves when the store is up again, or false after `timeoutMs`. */
  whenUp(timeoutMs: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(t);
        this.upListeners.delete(onUp);
        resolve(v);
      };
      const onUp = () => done(true);
      const t = setTimeout(() => done(false), timeoutMs);
      this.upListeners.add(onUp);
    });
  }

  onUp(fn: () => void): () => void {
    this.upListeners.add(fn);
    return () => this.upListeners.delete(fn);
  }

  onDown(fn: () => void): () => void {
    this.downListeners.add(fn);
    return () => this.downListeners.delete(fn);
  }

  /** A request to the store timed out or found no responder: probe now rather than at the next tick. */
  suspect(): void {
    void this.probe();
  }

  private markDown(reason: string): void {
    this.reason = reason;
    if (!this.up) return;
    this.up = false;
    this.outages++;
    this.changedAt = Date.now();
    for (const fn of [...this.downListeners]) fn();
  }

  private markUp(): void {
    if (this.up) return;
    this.up = true;
    this.reason = undefined;
    this.changedAt = Date.now();
    for (const fn of [...this.upListeners]) fn();
  }

  private async probe(): Promise<void> {
    if (this.probing || this.stopped || this.nc.isClosed()) return;
    if (!this.connected) return;
    this.probing = true;
    let t: NodeJS.Timeout | undefined;
    try {
      const answered = await Promise.race([
        this.nc.flush().then(() => true),
        // after the timer, one turn through I/O first: if this process was busy (not NATS), the
        // PONG waiting in the socket is read before the probe gives up
        new Promise<boolean>((r) => (t = setTimeout(() => setImmediate(() => r(false)), PROBE_TIMEOUT_MS))),
      ]);
      if (answered && this.connected) this.markUp();
      else if (!answered) this.markDown(`NATS did not answer a ping within ${PROBE_TIMEOUT_MS} ms`);
    } catch (e) {
      this.markDown(`NATS ping failed: ${(e as Error).message}`);
    } finally {
      clearTimeout(t);
      this.probing = false;
    }
  }
}
