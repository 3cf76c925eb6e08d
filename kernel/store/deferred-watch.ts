// A Watch whose source opens asynchronously (after a consistent-read wait), with an optional
// server-side timeout, so `Kernel.watch` can answer synchronously.
import type { Watch, WatchEvent } from '../types.ts';
import type { WatchQueue } from './watch-queue.ts';

export class DeferredWatch implements Watch {
  private queue?: WatchQueue<WatchEvent>;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private failure?: unknown;
  private readonly ready: Promise<void>;

  /** `convert`: applied to every event (a kind served in a version other than the stored one) */
  constructor(source: Promise<WatchQueue<WatchEvent>>, timeoutSeconds?: number, private readonly convert?: (ev: WatchEvent) => WatchEvent) {
    this.ready = source.then(
      (q) => {
        this.queue = q;
        if (this.stopped) q.stop();
      },
      (e) => {
        this.failure = e;
      },
    );
    if (timeoutSeconds && timeoutSeconds > 0) {
      this.timer = setTimeout(() => this.stop(), timeoutSeconds * 1000);
      this.timer.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue?.stop();
  }

  /**
   * Fast path for streaming writers: `sink` gets every event synchronously, `end` once when the
   * watch ends (with the error, if it failed to open). Use this or iteration, not both.
   */
  attach(sink: (ev: WatchEvent) => void, end: (err?: unknown) => void): void {
    void this.ready.then(() => {
      if (this.failure) return end(this.failure);
      const q = this.queue!;
      const c = this.convert;
      q.attach(c ? (ev) => sink(c(ev)) : sink);
      q.onEnded(() => end());
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    await this.ready;
    if (this.failure) throw this.failure;
    const q = this.queue!;
    try {
      while (true) {
        const r = await q.next();
        if (r.done) return;
        yield this.convert ? this.convert(r.value) : r.value;
      }
    } finally {
      this.stop();
    }
  }
}
