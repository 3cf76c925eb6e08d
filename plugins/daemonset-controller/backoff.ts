// flowcontrol.Backoff, as the daemon controller uses it for failed pods (1 s doubling to 15 min, per
// DaemonSet and node): a failed pod is deleted at once, the next one on that node only after the delay.
export class Backoff {
  private readonly entries = new Map<string, { backoff: number; lastUpdate: number }>();

  constructor(
    private readonly initialMs = 1000,
    private readonly maxMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current delay of `id` (0 when unknown). */
  get(id: string): number {
    return this.entries.get(id)?.backoff ?? 0;
  }

  /** Move `id` on: the first time (or after 2×max of quiet) the initial delay, else double up to max. */
  next(id: string, at = this.now()): void {
    const e = this.entries.get(id);
    if (!e || at - e.lastUpdate > 2 * this.maxMs) {
      this.entries.set(id, { backoff: this.initialMs, lastUpdate: at });
      return;
    }
    e.backoff = Math.min(e.backoff * 2, this.maxMs);
    e.lastUpdate = at;
  }

  /** IsInBackOffSinceUpdate: less than the current delay has passed since the last next(). */
  inBackoffSinceUpdate(id: string, at = this.now()): boolean {
    const e = this.entries.get(id);
    return e !== undefined && at - e.lastUpdate < e.backoff;
  }

  /** Forget entries quiet for more than 2×max. */
  gc(at = this.now()): void {
    for (const [id, e] of this.entries) if (at - e.lastUpdate > 2 * this.maxMs) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
