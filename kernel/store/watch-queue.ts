// An unbounded-by-default async queue behind one watch: the producer pushes without waiting; the
// consumer iterates. A consumer that falls more than `max` events behind is cut off with a 410, as
// kube-apiserver drops watchers that cannot keep up, instead of letting memory grow.
import { errors } from '../status.ts';
import type { KObject, Watch, WatchEvent } from '../types.ts';

export class WatchQueue<T extends WatchEvent = WatchEvent> implements Watch {
  private items: T[] = [];
  private readIndex = 0;
  private waiting?: (r: IteratorResult<T>) => void;
  private ended = false;
  private sink?: (item: T) => void;
  private endListeners: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly onEnd: () => void,
  ) {}

  get length(): number {
    return this.items.length - this.readIndex;
  }

  get closed(): boolean {
    return this.ended;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.sink) return this.sink(item);
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: item, done: false });
      return;
    }
    if (this.length >= this.max) {
      this.items.push({
        type: 'ERROR',
        object: errors.gone('watch closed: the client is too slow to keep up with events') .status as unknown as KObject,
      } as T);
      this.end();
      return;
    }
    this.items.push(item);
  }

  /** Called once when the queue ends (immediately if it has). */
  onEnded(fn: () => void): void {
    if (this.ended) fn();
    else this.endListeners.push(fn);
  }

  /** No more events: the consumer sees what is queued, then the end. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    for (const fn of this.endListeners.splice(0)) fn();
    if (this.waiting && this.length === 0) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: undefined, done: true });
    }
  }

  stop(): void {
    this.items = [];
    this.readIndex = 0;
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.readIndex < this.items.length) {
      const v = this.items[this.readIndex++]!;
      if (this.readIndex > 1024 && this.readIndex * 2 > this.items.length) {
        this.items = this.items.slice(this.readIndex);
        this.readIndex = 0;
      }
      return Promise.resolve({ value: v, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /**
   * Deliver every event synchronously to `sink` from now on (what is queued first), instead of
   * through the async iterator: a streaming writer then costs no extra hops per event. The sink
   * must not block; it applies its own bound (see the REST watch stream).
   */
  attach(sink: (item: T) => void): void {
    for (const item of this.drain()) sink(item);
    if (this.ended) return;
    this.sink = sink;
  }

  /** Everything queued right now, without waiting (for batching writers). */
  drain(): T[] {
    const out = this.items.slice(this.readIndex);
    this.items = [];
    this.readIndex = 0;
    return out;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: () => {
        this.stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
