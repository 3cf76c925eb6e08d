// `?watch=1`: a chunked stream of JSON lines, one watch event each, headers flushed at once. The
// JSON of an object is computed once and shared by every watcher that sends it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Watch, WatchEvent } from '@skiff/kernel';
import { toTable } from './table.ts';

// The encoded line of an event, per (object, event type): the cache's objects are immutable and
// shared by every watcher, so with 100 watchers an event is serialized and UTF-8 encoded once.
const lines = new WeakMap<object, Partial<Record<string, Buffer>>>();

/** The event as one HTTP/1.1 chunk (`<hex length>\r\n<line>\r\n`), built once per event. */
function eventChunk(ev: WatchEvent): Buffer {
  const o = ev.object;
  const shared = Object.isFrozen(o);
  const key = `chunk:${ev.type}`;
  let byType = shared ? lines.get(o) : undefined;
  let b = byType?.[key];
  if (b === undefined) {
    const line = eventLine(ev);
    b = Buffer.concat([Buffer.from(`${line.length.toString(16)}\r\n`), line, CRLF]);
    if (shared) {
      if (!byType) lines.set(o, (byType = {}));
      byType[key] = b;
    }
  }
  return b;
}

const CRLF = Buffer.from('\r\n');

function eventLine(ev: WatchEvent): Buffer {
  const o = ev.object;
  const shared = Object.isFrozen(o);
  let byType = shared ? lines.get(o) : undefined;
  let b = byType?.[ev.type];
  if (b === undefined) {
    b = Buffer.from(`{"type":"${ev.type}","object":${JSON.stringify(o)}}\n`);
    if (shared) {
      if (!byType) lines.set(o, (byType = {}));
      byType[ev.type] = b;
    }
  }
  return b;
}

/** A watcher whose socket has this much unsent is too slow: it is closed with a 410, not buffered without end. */
const MAX_BUFFERED = 16 * 1024 * 1024;

export interface TableWatch {
  resource: string;
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
      const t = toTable(table.resource, [ev.object], { resourceVersion: ev.object.metadata.resourceVersion }, { includeObject: table.includeObject, apiVersion: table.apiVersion, columns: first });
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
    // fast path: the watch cache writes each event straight to the socket, no async hops
    // Events without a table go to the socket as pre-framed chunks (one write, no re-framing per
    // watcher): the headers are flushed and chunked encoding is on, so this is the same stream.
    const socket = res.socket!;
    await new Promise<void>((resolve) => {
      attachable.attach!(
        (ev) => {
          if (res.destroyed || socket.destroyed) return w.stop();
          if (socket.writableLength > MAX_BUFFERED) {
            fail({ status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'watch closed: the client is too slow to keep up with events', reason: 'Expired', code: 410 } });
            return w.stop();
          }
          if (!table && ev.type !== 'ERROR') socket.write(eventChunk(ev));
          else res.write(line(ev));
        },
        (err) => {
          if (err) fail(err);
          finish();
          resolve();
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
