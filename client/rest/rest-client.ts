// A small Kubernetes REST client on node:https: bearer token, the cluster's CA, JSON in and out,
// Status errors as StatusError, and watches as an async stream of JSON-lines events. node:https
// rather than undici: loading undici alone took a client command ~0.2 s of its start. Used by the
// skiff CLI and by RestKernel (the Kernel interface over REST, for API users and remote plugins).
import { Agent, request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { isStatus, statusErrorFrom, StatusError } from './status-error.ts';

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** milliseconds; default 30 s (none for watches) */
  timeout?: number;
}

export interface WatchEvent<T = any> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface Watch<T = any> extends AsyncIterable<WatchEvent<T>> {
  stop(): void;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function withQuery(path: string, query: Query | undefined): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One HTTP(S) exchange: the response once its headers are in (its body still to read). */
function send(url: URL, o: HttpsRequestOptions & { body?: string; timeout: number; signal?: AbortSignal }): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    // a body goes with its length (chunked DELETE/PATCH bodies are not what servers expect)
    if (o.body !== undefined) o.headers = { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) };
    const req = (url.protocol === 'http:' ? httpRequest : httpsRequest)(url, o, resolve);
    req.on('error', reject);
    // no answer (headers) within the timeout; a watch's body may then stay open as long as it likes
    if (o.timeout > 0) req.setTimeout(o.timeout, () => req.destroy(new Error(`no answer within ${o.timeout} ms`)));
    req.end(o.body);
  }).then((res) => {
    (res as IncomingMessage).socket?.setTimeout(0);
    return res as IncomingMessage;
  });
}

async function readText(res: IncomingMessage, timeout: number): Promise<string> {
  res.setEncoding('utf8');
  const timer = timeout > 0 ? setTimeout(() => res.destroy(new Error(`the answer's body did not arrive within ${timeout} ms`)), timeout) : undefined;
  try {
    let text = '';
    for await (const chunk of res as AsyncIterable<string>) text += chunk;
    return text;
  } finally {
    clearTimeout(timer);
  }
}

/** Where the API is and how to talk to it (what a kubeconfig context says). */
export interface RestTarget {
  server: string;
  /** the cluster's CA, PEM; default: the system's */
  caCertPem?: string;
  token?: string;
  insecureSkipTLSVerify?: boolean;
}

export class RestClient {
  private readonly agent: Agent | HttpAgent;
  private readonly base: string;

  constructor(private readonly target: RestTarget) {
    this.base = target.server.replace(/\/+$/, '');
    // plain http only for servers that serve it (tests, a local proxy); TLS with the cluster's CA otherwise
    this.agent = this.base.startsWith('http:') ? new HttpAgent({ keepAlive: true }) : new Agent({ keepAlive: true, ca: target.caCertPem, rejectUnauthorized: !target.insecureSkipTLSVerify });
  }

  get server(): string {
    return this.base;
  }

  private headers(o: RequestOptions): Record<string, string> {
    const h: Record<string, string> = { accept: o.accept ?? 'application/json', 'user-agent': 'skiff-cli/0.1.0' };
    if (this.target.token) h.authorization = `Bearer ${this.target.token}`;
    if (o.body !== undefined) h['content-type'] = o.contentType ?? 'application/json';
    return h;
  }

  /** One request; resolves to the parsed JSON body, rejects with a StatusError on a non-2xx answer. */
  async request<T = any>(method: Method, path: string, o: RequestOptions = {}): Promise<T> {
    const timeout = o.timeout ?? 30_000;
    let res: IncomingMessage;
    try {
      res = await send(new URL(this.base + withQuery(path, o.query)), {
        method,
        agent: this.agent,
        headers: this.headers(o),
        body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
        timeout,
      });
    } catch (e) {
      throw new Error(`Unable to connect to the server at ${this.base}: ${(e as Error).message}`);
    }
    const body = parseBody(await readText(res, timeout));
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw statusErrorFrom(code, body);
    return body as T;
  }

  get<T = any>(path: string, o: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('GET', path, o);
  }

  /**
   * A streaming GET (`?watch=1` is added): each JSON line is one event; an ERROR event throws, or is
   * passed on as an event with `errorEvents: 'yield'` (an informer re-lists on a 410 it reads).
   */
  async watch<T = any>(path: string, o: Omit<RequestOptions, 'body' | 'timeout'> & { errorEvents?: 'throw' | 'yield' } = {}): Promise<Watch<T>> {
    let res: IncomingMessage;
    try {
      res = await send(new URL(this.base + withQuery(path, { ...o.query, watch: 1 })), { method: 'GET', agent: this.agent, headers: this.headers(o), timeout: 30_000 });
    } catch (e) {
      throw new Error(`Unable to connect to the server at ${this.base}: ${(e as Error).message}`);
    }
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw statusErrorFrom(code, parseBody(await readText(res, 30_000)));
    const body = res;
    // an abort (stop()) errors the stream even when nobody is reading it: the reader sees errors itself
    body.on('error', () => {});
    let stopped = false;
    async function* events(): AsyncGenerator<WatchEvent<T>> {
      let buf = '';
      body.setEncoding('utf8');
      try {
        for await (const chunk of body as AsyncIterable<string>) {
          buf += chunk;
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            const ev = JSON.parse(line) as WatchEvent<T>;
            if (ev.type === 'ERROR' && o.errorEvents !== 'yield') throw isStatus(ev.object) ? new StatusError(ev.object) : new Error(`watch error: ${line}`);
            yield ev;
          }
        }
      } catch (e) {
        if (stopped) return;
        throw e;
      }
    }
    return {
      [Symbol.asyncIterator]: () => events(),
      // the response's socket goes with it (an abort now would error a request that is long done)
      stop: () => {
        stopped = true;
        if (!body.destroyed) body.destroy();
      },
    };
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
