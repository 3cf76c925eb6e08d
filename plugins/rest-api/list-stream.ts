// LIST-shaped responses (lists, Tables, deleteCollection results) written item by item: the
// envelope's JSON up to the array, then each item's JSON as it comes, then `]}`. The bytes are
// exactly JSON.stringify of the whole object, but memory per response is one chunk plus the
// socket's buffer, not the whole response (a 100 MB list no longer costs 100s of MB per request).
import type { FastifyReply } from 'fastify';
import type { KList, KObject } from '@skiff/kernel';
import { columnsFor, tableRow, toTable, type TableKind, type TableOptions } from './table.ts';

/** Bytes gathered before a write: few syscalls and chunk headers, little memory. */
const CHUNK = 64 * 1024;

/** The JSON of `envelope` (whose last field `key` is an empty array) up to and including the array's `[`. */
export function jsonHead(envelope: object, key: string): string {
  const s = JSON.stringify(envelope);
  if (!s.endsWith(`"${key}":[]}`)) throw new Error(`jsonHead: "${key}" must be the envelope's last field and empty`);
  return s.slice(0, -2);
}

export interface JsonArrayWriterOptions {
  /** bytes held before the response starts (default one chunk). Until then an error can still be
   * answered as a Status; a response that fits is sent whole, with a Content-Length. */
  holdBytes?: number;
}

/**
 * Writes `head`, the items, then `]}` to a reply (the handler then returns undefined: the reply is sent). Nothing is sent until `holdBytes` are gathered or
 * `end()`; past that the reply is hijacked and streamed (chunked), each write waiting for the
 * socket to drain when its buffer is full. `item()` resolves false once the client has gone.
 */
export class JsonArrayWriter {
  private parts: string[] = [];
  private size = 0;
  private count = 0;
  private streaming = false;
  private gone = false;
  private readonly holdBytes: number;

  constructor(
    private readonly reply: FastifyReply,
    head: string,
    opts: JsonArrayWriterOptions = {},
  ) {
    this.holdBytes = opts.holdBytes ?? CHUNK;
    this.push(head);
  }

  /** Whether bytes have gone out (an error can no longer be answered as a Status). */
  get started(): boolean {
    return this.streaming;
  }

  /** Append one item's JSON. False once the client has gone (stop producing). */
  async item(json: string): Promise<boolean> {
    if (this.gone) return false;
    this.push(this.count++ === 0 ? json : ',' + json);
    if (this.size >= (this.streaming ? CHUNK : this.holdBytes)) await this.flush();
    return !this.gone;
  }

  /** Close the array and the response. */
  async end(): Promise<void> {
    this.push(']}');
    if (!this.streaming) {
      // it all fit: one ordinary reply, as before streaming existed
      const body = this.take();
      this.reply.type('application/json; charset=utf-8').send(body);
      return;
    }
    await this.flush();
    if (!this.gone) this.reply.raw.end();
  }

  /** Give up mid-stream: the connection is cut, so the client sees a broken response, never a short list. */
  abort(): void {
    this.gone = true;
    this.parts = [];
    this.reply.raw.destroy();
  }

  private push(s: string): void {
    this.parts.push(s);
    this.size += s.length;
  }

  private take(): string {
    const s = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    this.size = 0;
    return s;
  }

  private async flush(): Promise<void> {
    const res = this.reply.raw;
    if (!this.streaming) {
      this.streaming = true;
      this.reply.hijack();
      const headers = { ...this.reply.getHeaders() } as Record<string, string | number | string[]>;
      headers['content-type'] = 'application/json; charset=utf-8';
      delete headers['content-length'];
      res.writeHead(this.reply.statusCode, headers);
    }
    if (res.destroyed || res.writableEnded) {
      this.gone = true;
      this.parts = [];
      this.size = 0;
      return;
    }
    if (!res.write(this.take())) await drained(res);
    if (res.destroyed) this.gone = true;
  }
}

/** Resolves when the response can take more, or has closed. */
function drained(res: NodeJS.WritableStream & { destroyed: boolean }): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** A list (`{apiVersion, kind, metadata, items}`) streamed: the same bytes as JSON.stringify(list). */
export async function sendList(reply: FastifyReply, list: KList): Promise<void> {
  const { items, ...envelope } = list;
  const w = new JsonArrayWriter(reply, jsonHead({ ...envelope, items: [] }, 'items'));
  for (const o of items) if (!(await w.item(JSON.stringify(o)))) return;
  await w.end();
}

/** A list as a Table (`Accept: ...;as=Table`), row by row: the same bytes as JSON.stringify(toTable(...)). */
export async function sendTable(reply: FastifyReply, resource: string | TableKind, items: readonly KObject[], meta: KList['metadata'], opts: TableOptions): Promise<void> {
  const cols = columnsFor(resource);
  const w = new JsonArrayWriter(reply, jsonHead(toTable(resource, [], meta, opts), 'rows'));
  for (const o of items) if (!(await w.item(JSON.stringify(tableRow(cols, o, opts.includeObject))))) return;
  await w.end();
}
