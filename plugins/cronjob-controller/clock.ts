// The CronJob controller's clock. The default is the real one; tests inject a FakeClock (set or
// advance it, and the controller looks at every CronJob again) so they need not wait for minutes.

export interface Clock {
  /** epoch milliseconds */
  now(): number;
  /** called when the time jumps (a fake clock moved); returns the unsubscribe function */
  onJump?(fn: () => void): () => void;
}

export const realClock: Clock = { now: () => Date.now() };

/**
 * A clock tests move. Stopped, it shows the time last set; running, it ticks on from there in real
 * time (so the controller's own timers can be tested too).
 */
export class FakeClock implements Clock {
  private readonly listeners = new Set<() => void>();
  private since = Date.now();

  constructor(
    private t: number,
    private readonly running = false,
  ) {}

  now(): number {
    return this.running ? this.t + (Date.now() - this.since) : this.t;
  }

  set(t: number): void {
    this.t = t;
    this.since = Date.now();
    for (const fn of this.listeners) fn();
  }

  advance(ms: number): void {
    this.set(this.now() + ms);
  }

  onJump(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
