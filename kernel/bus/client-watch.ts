// Client side of a bus watch: events arrive on a private inbox with sequence numbers. A gap (core
// NATS dropped messages for a slow consumer), or a consumer that falls too far behind, ends the
// watch with a 410 ERROR event, so the caller re-lists like an informer.
import type { StatusError } from '../status.ts';
import { errors } from '../status.ts';
import type { KObject, Watch, WatchEvent } from '../types.ts';
import { decode, isObj, statusError, type WatchMessage } from './protocol.ts';

const MAX_QUEUED = 10_000;

export class BusWatch implements Watch {
  private items: WatchEvent[] = [];
  private head = 0;
  private expected = 1;
  private ended = false;
  private stopped = false;
  private failure?: StatusError;
  private wake?: () => void;
  /** last time anything (event or heartbeat) came from the server */
  lastHeard = Date.now();

  constructor(
    readonly id: string,
    /** unsubscribe the inbox and tell the server to stop (once) */
    private readonly onStop: (id: string, tellServer: boolean) => void,
  ) {}

  get done(): boolean {
    return this.ended;
  }

  private get length(): number {
    return this.items.length - this.head;
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Ends the stream: queued events are still delivered, then the end (or the failure). */
  private finish(tellServer: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.onStop(this.id, tellServer);
    this.signal();
  }

  private expire(message: string): void {
    this.items.push({ type: 'ERROR', object: errors.gone(message).status as unknown as KObject });
    this.finish(true);
  }

  /** A message on the inbox. */
  deliver(data: Uint8Array): void {
    if (this.ended) return;
    let m: WatchMessage;
    try {
      m = decode(data) as WatchMessage;
    } catch {
      return this.expire('watch closed: malformed message from the kernel bus');
    }
    if (!isObj(m)) return this.expire('watch closed: malformed message from the kernel bus');
    this.lastHeard = Date.now();
    if ('hb' in m) return;
    if (m.seq !== this.expected) {
      return this.expire(`watch closed: lost events on the kernel bus (expected seq ${this.expected}, got ${m.seq})`);
    }
    this.expected++;
    if ('event' in m) {
      if (this.length >= MAX_QUEUED) return this.expire('watch closed: the client is too slow to keep up with events');
      this.items.push(m.event);
      this.signal();
    } else if ('error' in m) {
      this.fail(statusError(m.error), false);
    } else {
      this.finish(false);
    }
  }

  /** The watch request failed, or the server reported an error: iteration throws it. */
  fail(e: StatusError, tellServer = true): void {
    if (this.ended) return;
    this.failure = e;
    this.finish(tellServer);
  }

  /** The server went silent (replica gone): end cleanly, the caller re-watches from its last version. */
  lost(): void {
    this.finish(true);
  }

  stop(): void {
    this.stopped = true;
    this.items = [];
    this.head = 0;
    this.finish(true);
    this.signal();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    try {
      while (true) {
        if (this.stopped) return;
        if (this.length > 0) {
          const ev = this.items[this.head++]!;
          if (this.head > 1024 && this.head * 2 > this.items.length) {
            this.items = this.items.slice(this.head);
            this.head = 0;
          }
          yield ev;
          continue;
        }
        if (this.ended) {
          if (this.failure) throw this.failure;
          return;
        }
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      this.stop();
    }
  }
}
