// Sending a case: undici (keep-alive) for well-formed requests, raw bytes over TLS for the rest.
import { connect, type TLSSocket } from 'node:tls';
import { Agent } from 'undici';
import { rawRequest, type FuzzCase } from './case.ts';

export interface Answer {
  status?: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** the server closed the connection before a (complete) answer */
  closed?: boolean;
  timedOut?: boolean;
  /** a transport error before any answer */
  error?: string;
  /** a watch with a timeout that did not end by itself in time */
  watchNoEnd?: boolean;
  /** the body was longer than what is kept of it (only its start is in `body`) */
  truncated?: boolean;
  ms: number;
}

export interface Target {
  url: string;
  ca: string;
  agent: Agent;
}

export function newAgent(ca: string, connections = 32): Agent {
  // a loaded 2-core machine can take seconds to accept: the per-request timeout decides, not undici's 10 s connect timeout
  return new Agent({ connect: { ca, timeout: 60_000 }, connections, pipelining: 1, keepAliveTimeout: 30_000 });
}

const MAX_KEEP = 64 * 1024; // what is kept of a body (a Status is small; a 2xx object is checked from it)

function asRaw(c: FuzzCase): Buffer {
  const len: [string, string][] = c.body !== undefined ? [['content-length', String(Buffer.byteLength(c.body))]] : [];
  return rawRequest(c.method, c.path, [['host', 'skiff'], ['connection', 'close'], ...Object.entries(c.headers), ...len], c.body);
}

export async function send(t: Target, c: FuzzCase, timeoutMs: number): Promise<Answer> {
  if (c.raw) return sendRaw(t, c.raw.chunks, c.raw.after, c.raw.delayMs ?? 0, timeoutMs, c.method === 'HEAD');
  // a big body goes raw: the server may answer (413) before reading it all and close, and undici
  // reports the broken pipe of the rest instead of the answer
  if (c.body !== undefined && Buffer.byteLength(c.body) > 2 * 1024 * 1024) return sendRaw(t, [asRaw(c)], 'hold', 0, timeoutMs, false);
  try {
    return await sendUndici(t, c, timeoutMs);
  } catch (e) {
    // undici refuses some inputs itself (bad characters in the path or a header): send them raw
    if ((e as { code?: string }).code === 'UND_ERR_INVALID_ARG') {
      return sendRaw(t, [asRaw(c)], 'hold', 0, timeoutMs, c.method === 'HEAD');
    }
    throw e;
  }
}

async function sendUndici(t: Target, c: FuzzCase, timeoutMs: number): Promise<Answer> {
  const t0 = performance.now();
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, timeoutMs);
  try {
    // origin and path apart: a URL string would be normalized (`/x/.` -> `/x/`, `%2e%2e` resolved),
    // which sends another request than the case (a DELETE of `.` became a deletecollection)
    const res = await t.agent.request({
      origin: t.url,
      path: c.path,
      method: c.method as 'GET',
      headers: c.headers,
      body: c.body,
      signal: ac.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    if (c.watch && res.statusCode === 200) {
      // a watch streams: with a timeoutSeconds it must end by itself; without, we hang up after a bit
      const limit = c.watch.endsWithinMs;
      const chunks: Buffer[] = [];
      let ended = false;
      const stop = setTimeout(() => ac.abort(), limit ?? 300);
      try {
        for await (const chunk of res.body) if (chunks.length < 64) chunks.push(chunk as Buffer);
        ended = true;
      } catch {
        /* aborted by us */
      }
      clearTimeout(stop);
      return { status: 200, headers: res.headers, body: Buffer.concat(chunks), watchNoEnd: limit !== undefined && !ended, ms: performance.now() - t0 };
    }
    const chunks: Buffer[] = [];
    let kept = 0;
    for await (const chunk of res.body) {
      if (kept < MAX_KEEP * 64) chunks.push(chunk as Buffer);
      kept += (chunk as Buffer).length;
    }
    const body = Buffer.concat(chunks);
    return { status: res.statusCode, headers: res.headers, body, truncated: kept > body.length, ms: performance.now() - t0 };
  } catch (e) {
    if ((e as { code?: string }).code === 'UND_ERR_INVALID_ARG') throw e;
    const ms = performance.now() - t0;
    if (timedOut) return { headers: {}, body: Buffer.alloc(0), timedOut: true, ms };
    const code = (e as { code?: string }).code;
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') return { headers: {}, body: Buffer.alloc(0), closed: true, error: `${code}: ${(e as Error).message}`, ms };
    return { headers: {}, body: Buffer.alloc(0), error: `${code ?? ''} ${(e as Error).message}`, ms };
  } finally {
    clearTimeout(timer);
  }
}

/** Parses one HTTP/1.1 response from `buf`; undefined while incomplete. */
function parseResponse(buf: Buffer, head: boolean, eof: boolean): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
  if (!m) return { status: 0, headers: {}, body: buf };
  const status = Number(m[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) return { status, headers, body: Buffer.alloc(0) };
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    return rest.length >= n ? { status, headers, body: rest.subarray(0, n) } : eof ? { status, headers, body: rest } : undefined;
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const out: Buffer[] = [];
    let p = 0;
    for (;;) {
      const le = rest.indexOf('\r\n', p);
      if (le < 0) return eof ? { status, headers, body: Buffer.concat(out) } : undefined;
      const size = parseInt(rest.subarray(p, le).toString('latin1'), 16);
      if (size === 0) return { status, headers, body: Buffer.concat(out) };
      if (rest.length < le + 2 + size + 2) return eof ? { status, headers, body: Buffer.concat(out) } : undefined;
      out.push(rest.subarray(le + 2, le + 2 + size));
      p = le + 2 + size + 2;
    }
  }
  return eof ? { status, headers, body: rest } : undefined;
}

export function sendRaw(t: Target, chunks: Buffer[], after: 'end' | 'hold', delayMs: number, timeoutMs: number, head: boolean): Promise<Answer> {
  const u = new URL(t.url);
  const t0 = performance.now();
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (a: Omit<Answer, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ...a, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => finish({ headers: {}, body: buf, timedOut: true }), timeoutMs);
    const sock: TLSSocket = connect({ host: u.hostname, port: Number(u.port), ca: t.ca, checkServerIdentity: () => undefined });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const r = parseResponse(buf, head, false);
      if (r) finish(r);
    });
    sock.on('end', () => {
      const r = buf.length > 0 ? parseResponse(buf, head, true) : undefined;
      finish(r ?? { headers: {}, body: buf, closed: true });
    });
    sock.on('close', () => {
      const r = buf.length > 0 ? parseResponse(buf, head, true) : undefined;
      finish(r ?? { headers: {}, body: buf, closed: true });
    });
    sock.on('error', (e) => {
      const r = buf.length > 0 ? parseResponse(buf, head, true) : undefined;
      finish(r ?? { headers: {}, body: buf, closed: true, error: `${(e as { code?: string }).code ?? ''} ${e.message}` });
    });
    sock.once('secureConnect', async () => {
      for (const c of chunks) {
        if (done || sock.destroyed) return;
        const ok = sock.write(c);
        if (!ok)
          await new Promise<void>((r) => {
            const go = () => {
              sock.off('drain', go).off('close', go);
              r();
            };
            sock.on('drain', go).on('close', go);
          });
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      }
      if (after === 'end' && !done) sock.end();
    });
  });
}
