// The loop of a node agent that keeps some host state (an nftables table, routes) in line with what
// informers report: changes are coalesced into one sync at a time (a change during a sync brings one
// more sync after it), a full sync runs at start, periodically and after a failure, and failures
// back off (doubling up to a cap) without ever running two syncs at once. Nothing syncs before
// start(): a sync from half-listed informers would program half the state.

export interface SyncLoopOptions {
  /** One sync (a full one when `full`). Throw to fail: the loop retries with a full sync after a back-off. */
  sync(full: boolean): Promise<void>;
  /** wait this long after a change before syncing, to batch a burst (default 0) */
  delayMs?: number;
  /** a full sync at least this often (default 0: only at start and after failures) */
  fullSyncMs?: number;
  /** first retry after a failure (default 1 s; doubles up to `maxRetryMs`, default 30 s) */
  retryMs?: number;
  maxRetryMs?: number;
}

export class SyncLoop {
  private dirty = false;
  private needFull = true;
  private started = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  /** after a failure: no sync before this time (performance.now()) */
  private notBefore = 0;

  constructor(private readonly o: SyncLoopOptions) {
    this.retryDelay = o.retryMs ?? 1000;
  }

  /** Start: a full sync now, then periodic ones. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.needFull = true;
    this.schedule(0);
    if (this.o.fullSyncMs) this.fullTimer = setInterval(() => this.requestFull(), this.o.fullSyncMs).unref();
  }

  /** Stop; resolves when a running sync has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.fullTimer);
    await this.running;
  }

  /** Something changed: a sync soon (after `delayMs`). */
  request(): void {
    this.dirty = true;
    this.schedule();
  }

  /** A full sync at the next turn. */
  requestFull(): void {
    this.needFull = true;
    this.schedule(0);
  }

  /** Resolves when no change is waiting and no sync is running (once started). */
  async idle(): Promise<void> {
    while (this.running || this.timer || (this.started && !this.stopped && (this.dirty || this.needFull))) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule(delay = this.o.delayMs ?? 0): void {
    if (!this.started || this.stopped || this.timer || this.running) return; // a running sync reschedules when it ends
    delay = Math.max(delay, this.notBefore - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.once().finally(() => {
        this.running = undefined;
        if (this.dirty || this.needFull) this.schedule();
      });
    }, delay);
  }

  private async once(): Promise<void> {
    if (this.stopped) return;
    const full = this.needFull;
    this.needFull = false;
    this.dirty = false;
    try {
      await this.o.sync(full);
      this.retryDelay = this.o.retryMs ?? 1000;
    } catch {
      this.notBefore = performance.now() + this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, this.o.maxRetryMs ?? 30_000);
      this.needFull = true; // scheduled again when this one ends, not before notBefore
    }
  }
}
