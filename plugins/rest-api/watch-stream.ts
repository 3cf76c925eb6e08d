// `?watch=1`: a chunked stream of JSON lines, one watch event each, headers flushed at once. The
// JSON of an object is computed once and shared by every watcher that sends it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KObject, Watch, WatchEvent } from '@skiff/kernel';
import { toTable } from './table.ts';

const json = new WeakMap<object, string>();

function objectJson(o: KObject): string {
  let s = json.get(o);
  if (s === undefined) {
    s = JSON.stringify(o);
    if (Object.isFrozen(o)) json.set(o, s);
  }
  return s;
}

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
  const line = (ev: WatchEvent): string => {
    if (table && (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED')) {
      const t = toTable(table.resource, [ev.object], { resourceVersion: ev.object.metadata.resourceVersion }, { includeObject: table.includeObject, apiVersion: table.apiVersion, columns: first });
      first = false;
      return `{"type":"${ev.type}","object":${JSON.stringify(t)}}\n`;
    }
    return `{"type":"${ev.type}","object":${objectJson(ev.object)}}\n`;
  };
  try {
    for await (const ev of w) {
      if (res.destroyed) break;
      res.write(line(ev));
    }
  } catch (e) {
    if (!res.destroyed) {
      const status = (e as { status?: unknown }).status ?? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String((e as Error).message), reason: 'InternalError', code: 500 };
      res.write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
    }
  } finally {
    req.raw.socket.off('close', close);
    if (!res.destroyed) res.end();
  }
}
