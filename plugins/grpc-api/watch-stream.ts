// Objects.Watch: a kernel watch onto a gRPC server stream. Events go out as pre-encoded WatchEvent
// messages (shared by every watcher of the same event); while the client's stream is full they wait
// as references, and a watcher that falls MAX_PENDING events behind is ended with OUT_OF_RANGE, as
// kube-apiserver drops a watcher that cannot keep up (the client lists and watches again). An ERROR
// event from the kernel (410 below the compaction floor) ends the stream with its gRPC status.
import type { ServerWritableStream, ServiceError } from '@grpc/grpc-js';
import { errors, StatusError, type Status, type Watch, type WatchEvent } from '@skiff/kernel';
import type { RecentEvents } from './answers.ts';

/** Bytes written to the call and not yet sent (HTTP/2 flow control) above which events wait, as references. */
const HIGH_WATER = 1024 * 1024;
/** Events waiting for one watcher beyond which it is too slow: ended with OUT_OF_RANGE (410). */
const MAX_PENDING = 100_000;

type AttachableWatch = Watch & { attach?: (sink: (ev: WatchEvent) => void, end: (err?: unknown) => void) => void };

export interface WatchStreamOptions {
  encoder: RecentEvents;
  toServiceError: (e: unknown) => Partial<ServiceError>;
  /** streams in progress, each with how to end it (OK: the client watches again) when the server drains */
  active: Set<() => void>;
}

export function streamWatch(w: Watch, call: ServerWritableStream<unknown, Buffer>, o: WatchStreamOptions): void {
  let done = false;
  let pending: Buffer[] = [];
  let next = 0;
  let pumping = false;
  let endWith: { err?: unknown } | undefined;
  const stop = () => w.stop();
  o.active.add(stop);
  const gone = () => call.cancelled || call.destroyed || call.writableEnded;
  // bytes in the call's buffer (grpc-js' object stream counts messages, and an object may be a MiB)
  let unsent = 0;
  const write = (msg: Buffer) => {
    unsent += msg.length;
    call.write(msg, () => {
      unsent -= msg.length;
      if (pumping && unsent < HIGH_WATER) pump();
    });
  };

  const finish = () => {
    if (done) return;
    done = true;
    o.active.delete(stop);
    call.off('cancelled', cancelled);
    w.stop();
    if (call.cancelled || call.writableEnded) return;
    if (endWith?.err !== undefined) call.emit('error', o.toServiceError(endWith.err));
    else call.end();
  };
  // what is waiting goes out first, then the end (with the error, if any)
  const end = (err?: unknown) => {
    endWith ??= { err };
    if (!pumping) finish();
  };
  // sends what waits while there is room; called again by a write's completion
  const pump = () => {
    pumping = true;
    while (next < pending.length && !gone()) {
      if (unsent >= HIGH_WATER) return;
      write(pending[next++]!);
    }
    pending = [];
    next = 0;
    pumping = false;
    if (endWith || gone()) finish();
  };
  const sink = (ev: WatchEvent) => {
    if (done || endWith) return;
    if (gone()) return end();
    if (ev.type === 'ERROR') {
      // the kernel's Status (410 Expired below the compaction floor, or a watcher cut off)
      return end(new StatusError(ev.object as unknown as Status));
    }
    const msg = o.encoder.encode(ev.type, ev.object);
    if (!pumping && unsent < HIGH_WATER) return write(msg);
    if (pending.length - next >= MAX_PENDING) {
      pending = [];
      next = 0;
      pumping = false;
      endWith = { err: errors.gone('watch closed: the client is too slow to keep up with events') };
      return finish();
    }
    pending.push(msg);
    if (!pumping) pump();
  };
  // the client went away (or its deadline passed): nothing more is sent
  const cancelled = () => {
    pending = [];
    pumping = false;
    finish();
  };
  call.on('cancelled', cancelled);
  const aw = w as AttachableWatch;
  if (typeof aw.attach === 'function') return aw.attach(sink, end);
  void (async () => {
    try {
      for await (const ev of w) sink(ev);
      end();
    } catch (e) {
      end(e);
    }
  })();
}
