// GET /metrics: the server's own figures in the Prometheus text format, as kube-apiserver serves
// them, for a scraper and for the benchmarks (which read the GC pauses and the event-loop lag
// around a phase to find where a latency tail comes from):
// - the process: prom-client's default Node.js metrics (CPU, memory, GC pauses by kind, event-loop
//   lag; the lag figures cover the time since the previous scrape);
// - every request: apiserver_request_total by verb, resource and code, and
//   apiserver_request_duration_seconds (kube's buckets) for the requests that are not long-running.
// Authorized like any non-resource path (kube's system:monitoring role grants GET /metrics).
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { KindInfo } from '@skiff/kernel';
import { parseResourcePath, requestResourcePath } from './paths.ts';

/** kube-apiserver's buckets for apiserver_request_duration_seconds */
const DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
const LONG_RUNNING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy', 'log']);

// One per process: the figures are the process's, however many servers it runs (tests run several).
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 5 });
  }
  return processRegistry;
}

export interface RequestLabels {
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
}

/** kube's verb and resource labels of a request: LIST and WATCH apart from GET, '' outside resources. */
export function requestLabels(method: string, url: string, kinds: readonly KindInfo[], parse = (u: string) => parseResourcePath(u, kinds)): RequestLabels {
  const path = url.split('?')[0]!;
  const query = url.includes('?') ? new URLSearchParams(url.slice(url.indexOf('?') + 1)) : undefined;
  // the old watch paths (/api/v1/watch/namespaces/a/pods) name the resource after `watch/`
  const watchPath = /^(\/apis?\/(?:[^/]+\/)?[^/]+\/)watch\//.exec(path);
  const watch = watchPath !== null || ['1', 'true'].includes(query?.get('watch') ?? '');
  let p: ReturnType<typeof parseResourcePath>;
  try {
    p = watchPath ? parseResourcePath(watchPath[1] + path.slice(watchPath[0].length), kinds) : parse(url);
  } catch {
    p = undefined;
  }
  let verb = method.toUpperCase();
  if (verb === 'GET' && p?.resource !== undefined) verb = watch ? 'WATCH' : p.name === undefined && !p.subresource ? 'LIST' : 'GET';
  else if (verb === 'DELETE' && p?.resource !== undefined && p.name === undefined) verb = 'DELETECOLLECTION';
  return { verb, group: p?.group ?? '', version: p?.version ?? '', resource: p?.resource ?? '', subresource: p?.subresource ?? '' };
}

/** Counts and times every request on `app`, and serves GET /metrics. */
export function registerMetrics(app: FastifyInstance, kinds: () => readonly KindInfo[]): void {
  const registry = new Registry();
  const labelNames = ['verb', 'group', 'version', 'resource', 'subresource'] as const;
  const total = new Counter({ name: 'apiserver_request_total', help: 'Counter of apiserver requests broken out for each verb, group, version, resource and HTTP response code.', labelNames: [...labelNames, 'code'], registers: [registry] });
  const duration = new Histogram({ name: 'apiserver_request_duration_seconds', help: 'Response latency distribution in seconds for each verb, group, version, resource and subresource (long-running requests are not timed).', labelNames, buckets: DURATION_BUCKETS, registers: [registry] });
  app.addHook('onResponse', async (req, reply) => {
    const k = kinds();
    const l = requestLabels(req.method, req.url, k, () => requestResourcePath(req, k));
    total.inc({ ...l, code: String(reply.statusCode) });
    if (l.verb !== 'WATCH' && !LONG_RUNNING_SUBRESOURCES.has(l.subresource)) duration.observe({ ...l }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_req, reply) => {
    const merged = Registry.merge([processMetrics(), registry]);
    reply.header('content-type', merged.contentType);
    return merged.metrics();
  });
}
