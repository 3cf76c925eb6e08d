// Server side of bus watches: one kernel watch per client watch, its events published to the
// client's inbox with a sequence number; watches not kept alive are stopped.
import type { NatsConnection } from '@nats-io/nats-core';
import { errors, toStatus } from '../status.ts';
import type { Kernel, Watch, WatchOptions } from '../types.ts';
import { encode, optObj, ref, str, type WatchMessage } from './protocol.ts';

interface Entry {
  watch: Watch;
  inbox: string;
  seq: number;
  lastSeen: number;
}

export class WatchRegistry {
  private readonly watches = new Map<string, Entry>();
  private readonly pumps = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly kernel: Kernel,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.watches.size;
  }

  /** Start a watch for a `.watch` request (validated here; throws a StatusError on bad input). */
  start(b: Record<string, unknown>): { watchId: string } {
    const watchId = str(b, 'watchId');
    const inbox = str(b, 'inbox');
    const r = ref(b);
    const opts = optObj<WatchOptions>(b, 'opts') ?? {};
    if (this.watches.has(watchId)) throw errors.badRequest(`kernel bus: watch ${watchId} already exists`);
    const watch = this.kernel.watch(r, opts);
    const e: Entry = { watch, inbox, seq: 0, lastSeen: Date.now() };
    this.watches.set(watchId, e);
    const p = this.pump(watchId, e).finally(() => this.pumps.delete(p));
    this.pumps.add(p);
    return { watchId };
  }

  private send(e: Entry, m: WatchMessage): void {
    this.nc.publish(e.inbox, encode(m));
  }

  private async pump(id: string, e: Entry): Promise<void> {
    try {
      for await (const event of e.watch) this.send(e, { seq: ++e.seq, event });
      this.send(e, { seq: ++e.seq, end: true });
    } catch (err) {
      try {
        this.send(e, { seq: ++e.seq, error: toStatus(err) });
      } catch {
        // connection closed: the client notices the silence
      }
    } finally {
      this.watches.delete(id);
      e.watch.stop();
    }
  }

  stop(ids: string[]): void {
    for (const id of ids) this.watches.get(id)?.watch.stop();
  }

  /** Keepalive from a client: refresh and answer with a heartbeat on each watch held here. */
  keepalive(ids: string[]): void {
    const now = Date.now();
    for (const id of ids) {
      const e = this.watches.get(id);
      if (!e) continue;
      e.lastSeen = now;
      this.send(e, { hb: true });
    }
  }

  sweep(): void {
    const old = Date.now() - this.ttlMs;
    for (const e of this.watches.values()) if (e.lastSeen < old) e.watch.stop();
  }

  async stopAll(): Promise<void> {
    for (const e of this.watches.values()) e.watch.stop();
    await Promise.allSettled([...this.pumps]);
  }
}
