// Fair sharing of the API server, in the spirit of Kubernetes' API Priority and Fairness (and its
// older max-in-flight limits): every request that is not long-running takes a seat in one of three
// budgets, so lists cannot starve writes and writes cannot starve reads; within a budget no client
// takes every seat (fair-limiter.ts). Past a short queue the answer is 429 TooManyRequests with
// Retry-After. Watches are long-running: they take no seat, but one client may hold only so many.
// Exec, attach, port-forward, proxy and logs are long-running too and are not limited here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isStatusError, type KindInfo, type Status } from '@skiff/kernel';
import { FairLimiter, PerFlowCap, type LimiterConfig } from './fair-limiter.ts';
import { parseResourcePath, requestResourcePath } from './paths.ts';

export type RequestClass = 'exempt' | 'long-running' | 'watch' | 'list' | 'read' | 'write';

export interface FlowControlConfig {
  /** GET of one object, discovery, LIST pages of at most LIST_SMALL_LIMIT items (kube's --max-requests-inflight is 400) */
  read: LimiterConfig;
  /** POST, PUT, PATCH and DELETE of one object (kube's --max-mutating-requests-inflight is 200) */
  write: LimiterConfig;
  /** expensive reads: a LIST without a small limit, and deleteCollection. Streaming keeps their
   * memory small; this bounds the CPU they take and lets a client's 8 concurrent lists run while
   * other clients still find 2 seats. */
  list: LimiterConfig;
  /** watches one client may hold at once */
  watchesPerFlow: number;
}

/** A LIST with `limit` at most this (kubectl's and client-go's pages are 500) is a cheap read. */
export const LIST_SMALL_LIMIT = 500;

export const DEFAULT_FLOW_CONTROL: FlowControlConfig = {
  read: { concurrency: 400, perFlow: 300, queuePerFlow: 100, queueTotal: 400, maxWaitMs: 10_000, retryAfterSeconds: 1 },
  write: { concurrency: 200, perFlow: 150, queuePerFlow: 100, queueTotal: 400, maxWaitMs: 10_000, retryAfterSeconds: 1 },
  list: { concurrency: 10, perFlow: 8, queuePerFlow: 16, queueTotal: 64, maxWaitMs: 30_000, retryAfterSeconds: 2 },
  watchesPerFlow: 1000,
};

const LONG_RUNNING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy', 'log']);
const HEALTH = /^\/(healthz|livez|readyz)(\/|$)/;

type Query = Record<string, string | undefined>;

/** Which budget a request takes, from its method, path and query. */
export function classify(method: string, url: string, query: Query, kinds: readonly KindInfo[], parse = (u: string) => parseResourcePath(u, kinds)): RequestClass {
  const path = url.split('?')[0]!;
  if (HEALTH.test(path) || path === '/version') return 'exempt';
  let p: ReturnType<typeof parseResourcePath>;
  try {
    p = parse(url);
  } catch {
    p = undefined; // the handler answers 404 for it
  }
  if (p?.subresource && LONG_RUNNING_SUBRESOURCES.has(p.subresource)) return 'long-running';
  if (path.startsWith('/api/v1/watch/') || /^\/apis\/[^/]+\/[^/]+\/watch\//.test(path)) return 'watch';
  const collection = p?.resource !== undefined && p.name === undefined && p.subresource === undefined;
  if (method === 'GET' || method === 'HEAD') {
    if (!collection) return 'read';
    if (query.watch === 'true' || query.watch === '1') return 'watch';
    const limit = Number(query.limit);
    if (query.continue || (query.limit && Number.isInteger(limit) && limit > 0 && limit <= LIST_SMALL_LIMIT)) return 'read';
    return 'list';
  }
  if (method === 'DELETE' && collection) return 'list';
  return 'write';
}

/** The client a request is counted against: its bearer token (or none) from its address. */
export function flowOf(req: FastifyRequest): string {
  const auth = req.headers.authorization;
  return `${req.socket.remoteAddress ?? ''}|${typeof auth === 'string' ? auth : ''}`;
}

export interface FlowControl {
  limiters: Record<'read' | 'write' | 'list', FairLimiter>;
  watches: PerFlowCap;
}

function merge(over: Partial<FlowControlConfig> | undefined): FlowControlConfig {
  const d = DEFAULT_FLOW_CONTROL;
  return {
    read: { ...d.read, ...over?.read },
    write: { ...d.write, ...over?.write },
    list: { ...d.list, ...over?.list },
    watchesPerFlow: over?.watchesPerFlow ?? d.watchesPerFlow,
  };
}

function sendTooMany(reply: FastifyReply, status: Status): FastifyReply {
  return reply
    .code(429)
    .header('Retry-After', String(status.details?.retryAfterSeconds ?? 1))
    .type('application/json')
    .send(status);
}

/**
 * Seats are taken once the body has been read (preHandler), so a client slow to send its body
 * holds none (the server's request timeout ends it), and are given back when the response closes.
 */
export function installFlowControl(app: FastifyInstance, kinds: () => readonly KindInfo[], config?: Partial<FlowControlConfig>): FlowControl {
  const c = merge(config);
  const fc: FlowControl = {
    limiters: { read: new FairLimiter('read', c.read), write: new FairLimiter('write', c.write), list: new FairLimiter('list', c.list) },
    watches: new PerFlowCap('watches', c.watchesPerFlow),
  };
  app.addHook('preHandler', async (req, reply) => {
    const k = kinds();
    const cls = classify(req.method, req.url, req.query as Query, k, () => requestResourcePath(req, k));
    if (cls === 'exempt' || cls === 'long-running') return;
    const flow = flowOf(req);
    const res = reply.raw;
    if (cls === 'watch') {
      try {
        const release = fc.watches.take(flow);
        res.once('close', release);
      } catch (e) {
        if (isStatusError(e)) return sendTooMany(reply, e.status);
        throw e;
      }
      return;
    }
    const ac = new AbortController();
    const abort = () => ac.abort();
    res.once('close', abort);
    try {
      const release = await fc.limiters[cls].acquire(flow, ac.signal);
      res.off('close', abort);
      if (res.destroyed || res.writableFinished) release();
      else res.once('close', release);
    } catch (e) {
      res.off('close', abort);
      if (isStatusError(e)) return sendTooMany(reply, e.status);
      // the client went away while waiting: nothing to answer
      reply.hijack();
      res.destroy();
    }
  });
  return fc;
}
