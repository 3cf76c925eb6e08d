// `?watch=1`: a chunked stream of JSON lines, one watch event each, headers flushed at once. The
// JSON of an event is computed once and shared by every watcher that sends it at about the same
// time (a bounded cache of recent events: an unbounded one would keep a second copy of every
// object that ever went out). Events wait (as references) while the client's socket is full, so a
// watch's initial state of 100 MB goes out at the client's pace instead of into socket buffers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PrinterColumn, Watch, WatchEvent } from '@skiff/kernel';
import { RecentEncodings } from '@skiff/client/api-frontend';
import { toTable } from './table.ts';

/** Recently encoded events (object identity + type -> the framed chunk); fan-out hits it at once. */
const recent = new RecentEncodings(1024, 16 * 1024 * 1024);

/** For tests: what the shared encoding cache holds. */
export function recentChunkStats(): { entries: number; bytes: number } {
  return recent.stats();
}

const CRLF = Buffer.from('\r\n');

function eventLine(ev: WatchEvent): Buffer {
  return Buffer.from(`{"type":"${ev.type}","object":${JSON.stringify(ev.object)}}\n`);
}

/** The event as one HTTP/1.1 chunk (`<hex length>\r\n<line>\r\n`), built once per event. */
function eventChunk(ev: WatchEvent): Buffer {
  const o = ev.object;
  // the cache's objects are frozen and shared by every watcher; others are one watcher's own
  const shared = Object.isFrozen(o);
  let b = shared ? recent.get(o, ev.type) : undefined;
  if (b === undefined) {
    const line = eventLine(ev);
    b = Buffer.concat([Buffer.from(`${line.length.toString(16)}\r\n`), line, CRLF]);
    if (shared) recent.set(o, ev.type, b);
  }
  return b;
}

/** Unsent bytes in a watcher's socket above which events wait (as references) for it to drain. */
const HIGH_WATER = 1024 * 1024;
/** Events waiting for one watcher beyond which it is too slow: closed with a 410 (as the watch cache's queue bound). */
const MAX_PENDING = 100_000;

export interface TableWatch {
  resource: string;
  printerColumns?: readonly PrinterColumn[];
  includeObject?: string;
  apiVersion: string;
}

export async function streamWatch(w: Watch, req: FastifyRequest, reply: FastifyReply, table?: TableWatch): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  const close = () => w.stop();
  req.raw.socket.on('close', close);
  res.on('close', close);
  let first = true;
  const line = (ev: WatchEvent): string | Buffer => {
    if (table && (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED')) {
      const t = toTable(table, [ev.object], { resourceVersion: ev.object.metadata.resourceVersion }, { includeObject: table.includeObject, apiVersion: table.apiVersion, columns: first });
      first = false;
      return `{"type":"${ev.type}","object":${JSON.stringify(t)}}\n`;
    }
    return eventLine(ev);
  };
  const fail = (e: unknown) => {
    if (res.destroyed) return;
    const status = (e as { status?: unknown }).status ?? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String((e as Error).message), reason: 'InternalError', code: 500 };
    res.write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
  };
  const finish = () => {
    req.raw.socket.off('close', close);
    if (!res.destroyed) res.end();
  };
  const attachable = w as Watch & { attach?: (sink: (ev: WatchEvent) => void, end: (err?: unknown) => void) => void };
  if (typeof attachable.attach === 'function') {
    // fast path: the watch cache hands each event straight to us, no async hops. Events without a
    // table go to the socket as pre-framed chunks (one write, no re-framing per watcher): the
    // headers are flushed and chunked encoding is on, so this is the same stream. A response that
    // has no socket yet (a request pipelined on a keep-alive connection behind one still being
    // answered) is written through the response, which holds it until its turn.
    const socket = res.socket;
    const send = (ev: WatchEvent) => {
      if (socket && !table && ev.type !== 'ERROR') socket.write(eventChunk(ev));
      else res.write(line(ev));
    };
    // events waiting for the socket to drain: pending[next..]. The response's writableLength counts
    // its own buffer and its socket's.
    let pending: WatchEvent[] = [];
    let next = 0;
    let pump: Promise<void> | undefined;
    const gone = () => res.destroyed || socket?.destroyed === true;
    const unsent = () => (socket ? socket.writableLength : res.writableLength);
    const pumpPending = async () => {
      while (next < pending.length && !gone()) {
        if (unsent() > HIGH_WATER) {
          await drained(socket ?? res);
          continue;
        }
        send(pending[next++]!);
      }
      pending = [];
      next = 0;
      pump = undefined;
    };
    await new Promise<void>((resolve) => {
      attachable.attach!(
        (ev) => {
          if (gone()) return w.stop();
          if (next === pending.length && unsent() <= HIGH_WATER) return send(ev);
          if (pending.length - next >= MAX_PENDING) {
            pending = [];
            next = 0;
            fail({ status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'watch closed: the client is too slow to keep up with events', reason: 'Expired', code: 410 } });
            return w.stop();
          }
          pending.push(ev);
          pump ??= pumpPending();
        },
        (err) => {
          // what is waiting goes out first, then the error (if any) and the end
          void (pump ?? Promise.resolve()).then(() => {
            if (err) fail(err);
            finish();
            resolve();
          });
        },
      );
    });
    return;
  }
  try {
    for await (const ev of w) {
      if (res.destroyed) break;
      res.write(line(ev));
    }
  } catch (e) {
    fail(e);
  } finally {
    finish();
  }
}

/** Resolves when the socket can take more, or has closed. */
function drained(s: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
  });
}
