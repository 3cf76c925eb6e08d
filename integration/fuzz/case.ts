// One generated request and what its answer must be.
import type { Rng } from './prng.ts';

/**
 * reject: a client mistake, the answer must be a 4xx Status.
 * any: valid or not (depends on the server's rules): a 2xx (then what was stored is checked) or a 4xx Status.
 */
export type Expect = 'reject' | 'any';

/** For the raw transport: bytes written on a fresh TLS connection. */
export interface RawPlan {
  chunks: Buffer[];
  /** ms between chunks (slow clients) */
  delayMs?: number;
  /** after the last chunk: 'end' closes our write side (a truncated request), 'hold' keeps it open */
  after: 'end' | 'hold';
}

/** What a 2xx answer must show, and what the object looks like in the store afterwards. */
export interface StoredCheck {
  /** collection path the object lives in, e.g. /api/v1/namespaces/ns/configmaps */
  collection: string;
  /** the object as sent (its leaves are compared with what the server answers and stores) */
  sent: unknown;
  /** a POST: the object is new, it must be listed at the end */
  create: boolean;
  /** the valid object `sent` was made from: leaves it does not have are unknown fields (dropped) */
  template?: unknown;
}

export interface FuzzCase {
  id: number;
  cls: string;
  /** what this case does, for the report */
  note: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  expect: Expect;
  /** undici (default) or raw bytes over TLS (for what undici refuses to send) */
  raw?: RawPlan;
  stored?: StoredCheck;
  /** a watch: a 200 streams; `endsWithinMs` says it must end by itself in that time */
  watch?: { endsWithinMs?: number };
  /** the server may close the connection without an answer (the client broke the request itself) */
  closeOk?: boolean;
  /** the answer may take this long (default: the runner's per-request timeout) */
  timeoutMs?: number;
  /** runs outside the concurrency pool (slow clients that hold a connection) */
  background?: boolean;
}

export interface GenContext {
  rng: Rng;
  /** the namespace the fuzzer owns (fixtures live there) */
  ns: string;
  token: string;
  /** fixtures the patch and update cases address */
  fixtures: Fixtures;
  /** unique per case: names of objects the case may create */
  id: number;
}

export interface Fixtures {
  configMap: string;
  /** a ConfigMap of ~1.2 MB with a 100,000-item list (metadata.finalizers): the cost of a patch must not grow with it */
  bigConfigMap: string;
  deployment: string;
  service: string;
  pod: string;
  secret: string;
}

export type Generator = (ctx: GenContext) => Omit<FuzzCase, 'id' | 'cls'>;

export const json = (v: unknown) => JSON.stringify(v);

export function authHeaders(ctx: GenContext, contentType?: string): Record<string, string> {
  const h: Record<string, string> = { authorization: `Bearer ${ctx.token}`, accept: 'application/json' };
  if (contentType) h['content-type'] = contentType;
  return h;
}

/** A name nobody else uses: fz<case id><random> (valid as a DNS-1035 label). */
export function uniqueName(ctx: GenContext, tag = ''): string {
  return `fz${ctx.id.toString(36)}${tag}${ctx.rng.word(4)}`;
}

/** The bytes of an HTTP/1.1 request, exactly as given (nothing is checked or fixed). */
export function rawRequest(method: string, target: string, headers: [string, string][], body?: Buffer | string): Buffer {
  const head = `${method} ${target} HTTP/1.1\r\n` + headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), body === undefined ? Buffer.alloc(0) : Buffer.from(body)]);
}
