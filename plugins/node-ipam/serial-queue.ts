// A de-duplicating queue of keys handled one at a time, in the order they were first added. A key
// added while it is being handled is handled again afterwards.

export class SerialQueue {
  private readonly pending = new Set<string>();
  private running = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly failed: (key: string, error: unknown) => void,
  ) {}

  get length(): number {
    return this.pending.size + (this.running ? 1 : 0);
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (!this.running) void this.drain();
  }

  /** Resolves when nothing is pending or in flight. */
  idle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Take no more work; resolves when the key in flight is done. */
  stop(): Promise<void> {
    this.stopped = true;
    this.pending.clear();
    return this.idle();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.pending.size) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      try {
        await this.handle(key);
      } catch (e) {
        if (!this.stopped) this.failed(key, e);
      }
    }
    this.running = false;
    for (const r of this.idleWaiters.splice(0)) r();
  }
}
