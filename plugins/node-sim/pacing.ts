// Pacing for thousands of nodes: a concurrency limiter for writes in flight, and a ticker that
// spreads one call per item evenly over a period (lease renewals, heartbeats) instead of bursts.

/** At most `max` tasks at a time, the rest wait in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  get pending(): number {
    return this.active + this.waiting.length;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((r) => this.waiting.push(r)); // the slot is handed over
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Calls `fn(i)` for i in 0..count-1 once per period, evenly spread: with 5,000 items and 10 s that
 * is 500 calls a second in small steps, never a burst. A stalled event loop catches up at most one
 * round.
 */
export class SpreadTicker {
  private readonly timer: NodeJS.Timeout;
  private readonly epoch = Date.now();
  private cursor = 0;
  constructor(
    private readonly count: () => number,
    private readonly periodMs: number,
    private readonly fn: (i: number) => void,
    tickMs = 20,
  ) {
    this.timer = setInterval(() => this.tick(), Math.max(5, Math.min(tickMs, periodMs / 4)));
    this.timer.unref();
  }
  private tick(): void {
    const n = this.count();
    if (n === 0) return;
    const target = Math.floor(((Date.now() - this.epoch) * n) / this.periodMs);
    if (target - this.cursor > n) this.cursor = target - n;
    while (this.cursor < target) this.fn(this.cursor++ % n);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
