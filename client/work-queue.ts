// A rate-limited, de-duplicating, delaying work queue of keys, as client-go's util/workqueue:
// - a key added many times before a worker takes it is handled once;
// - a key is never handled by two workers at once; added while being handled, it is handled again after;
// - `addAfter` delays a key; `addRateLimited` delays it by the larger of a per-item exponential
//   back-off (base·2^failures, capped) and an overall token bucket, and `forget` resets the item's back-off.
// Workers are async functions run by `run(workers, handle)`.

export interface RateLimiterOptions {
  /** first per-item back-off (default 5 ms) */
  baseDelayMs?: number;
  /** longest per-item back-off (default 1000 s) */
  maxDelayMs?: number;
  /** overall token bucket for rate-limited re-adds: tokens per second (default 10) and burst (default 100) */
  qps?: number;
  burst?: number;
}

/** Per-item exponential back-off combined with an overall token bucket (client-go's default controller rate limiter). */
export class RateLimiter {
  private readonly failures = new Map<string, number>();
  private tokens: number;
  private last = performance.now();
  private readonly base: number;
  private readonly max: number;
  private readonly qps: number;
  private readonly burst: number;

  constructor(opts: RateLimiterOptions = {}) {
    this.base = opts.baseDelayMs ?? 5;
    this.max = opts.maxDelayMs ?? 1_000_000;
    this.qps = opts.qps ?? 10;
    this.burst = opts.burst ?? 100;
    this.tokens = this.burst;
  }

  /** The delay before `key` may be handled again; counts a failure. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const perItem = Math.min(this.base * 2 ** Math.min(n, 40), this.max);
    return Math.max(perItem, this.bucketDelay());
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  requeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Take a token; the delay until it is there (the token is reserved either way, like rate.Limiter.Reserve). */
  private bucketDelay(): number {
    const t = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }
}

export interface WorkQueueOptions extends RateLimiterOptions {
  name?: string;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private shuttingDown = false;
  readonly limiter: RateLimiter;

  constructor(opts: WorkQueueOptions = {}) {
    this.limiter = new RateLimiter(opts);
  }

  /** Keys waiting or being handled (not the delayed ones). */
  get length(): number {
    return this.queue.length - this.head + this.processing.size;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // handled again by done()
    const w = this.waiters.shift();
    if (w) w(key);
    else this.queue.push(key);
  }

  /** Add `key` after `ms` (an earlier pending delay for the same key wins). */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const cur = this.delayed.get(key);
    if (cur && cur.at <= at) return;
    if (cur) clearTimeout(cur.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /** Re-add after the rate limiter's delay (a failed attempt). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** The attempt succeeded: reset the key's back-off. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** The next key to handle (waits for one); undefined once shut down. Pair with done(key). */
  get(): Promise<string | undefined> {
    if (this.head < this.queue.length) return Promise.resolve(this.take(this.queue[this.head++]!));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push((k) => resolve(k === undefined ? undefined : this.take(k))));
  }

  private take(key: string): string {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.processing.add(key);
    this.dirty.delete(key);
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      const w = this.waiters.shift();
      if (w) w(key);
      else this.queue.push(key);
    }
    if (this.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when nothing is queued or being handled (delayed keys do not count). */
  idle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Take no more keys; workers blocked in get() receive undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) clearTimeout(d.timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.head = 0;
    this.dirty.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
    if (this.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * Run `workers` loops that take keys and `handle` them: a handler that throws gets its key
   * re-added rate-limited (and `onError` called); one that returns normally resets its back-off.
   * Resolves when the queue is shut down and every loop has finished its key.
   */
  run(workers: number, handle: (key: string) => Promise<void>, onError?: (key: string, e: unknown) => void): Promise<void> {
    const loop = async () => {
      for (;;) {
        const key = await this.get();
        if (key === undefined) return;
        try {
          await handle(key);
          this.forget(key);
        } catch (e) {
          onError?.(key, e);
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    return Promise.all(Array.from({ length: workers }, loop)).then(() => undefined);
  }
}
