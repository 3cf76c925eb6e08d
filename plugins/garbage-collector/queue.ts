// A de-duplicating work queue of keys with a few workers. A key is never handled by two workers
// at once; a key added while it is being handled is handled again afterwards.

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly active = new Set<string>();
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly concurrency = 4,
  ) {}

  get length(): number {
    return this.pending.size + this.active.size;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    this.pump();
  }

  /** Take no more work; resolves when the work in flight has finished. */
  stop(): Promise<void> {
    this.stopped = true;
    this.pending.clear();
    return this.idle();
  }

  /** Resolves when nothing is pending or in flight. */
  idle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.active.size < this.concurrency) {
      let next: string | undefined;
      for (const k of this.pending) {
        if (!this.active.has(k)) {
          next = k;
          break;
        }
      }
      if (next === undefined) break;
      const key = next;
      this.pending.delete(key);
      this.active.add(key);
      void this.handle(key)
        .catch(() => undefined) // the handler reports its own errors
        .finally(() => {
          this.active.delete(key);
          if (!this.stopped) this.pump();
          if (this.length === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }
}
