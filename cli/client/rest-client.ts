// A small Kubernetes REST client on undici: bearer token, the cluster's CA, JSON in and out,
// Status errors as StatusError, and watches as an async stream of JSON-lines events.
import { Agent, request } from 'undici';
import type { KubeconfigTarget } from '../kubeconfig.ts';
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

export class RestClient {
  private readonly agent: Agent;
  private readonly base: string;

  constructor(private readonly target: Pick<KubeconfigTarget, 'server' | 'caCertPem' | 'token' | 'insecureSkipTLSVerify'>) {
    this.base = target.server.replace(/\/+$/, '');
    this.agent = new Agent({
      connect: { ca: target.caCertPem, rejectUnauthorized: !target.insecureSkipTLSVerify },
    });
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
    let res;
    try {
      res = await request(this.base + withQuery(path, o.query), {
        method,
        dispatcher: this.agent,
        headers: this.headers(o),
        body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (e) {
      throw new Error(`Unable to connect to the server at ${this.base}: ${(e as Error).message}`);
    }
    const body = parseBody(await res.body.text());
    if (res.statusCode < 200 || res.statusCode >= 300) throw statusErrorFrom(res.statusCode, body);
    return body as T;
  }

  get<T = any>(path: string, o: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('GET', path, o);
  }

  /** A streaming GET (`?watch=1` is added): each JSON line is one event; an ERROR event throws. */
  async watch<T = any>(path: string, o: Omit<RequestOptions, 'body' | 'timeout'> = {}): Promise<Watch<T>> {
    const ac = new AbortController();
    let res;
    try {
      res = await request(this.base + withQuery(path, { ...o.query, watch: 1 }), {
        method: 'GET',
        dispatcher: this.agent,
        headers: this.headers(o),
        signal: ac.signal,
        headersTimeout: 30_000,
        bodyTimeout: 0,
      });
    } catch (e) {
      throw new Error(`Unable to connect to the server at ${this.base}: ${(e as Error).message}`);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw statusErrorFrom(res.statusCode, parseBody(await res.body.text()));
    const body = res.body;
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
            if (ev.type === 'ERROR') throw isStatus(ev.object) ? new StatusError(ev.object) : new Error(`watch error: ${line}`);
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
      stop: () => {
        stopped = true;
        ac.abort();
      },
    };
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => {});
  }
}
