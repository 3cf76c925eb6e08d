// How long a client may take to send its request. Node checks these while a request is being
// received (headers, then body) and closes the connection past them; once a request has arrived,
// its response may take as long as it needs, so watches, log follows and exec/port-forward
// upgrades are not affected. Idle keep-alive connections are closed after `keepAliveMs`.
export interface HttpTimeouts {
  /** the request line and headers, from the first byte (kube-apiserver: ReadHeaderTimeout 32 s) */
  headersMs: number;
  /** the whole request, headers and body: 30 s lets a 3 MiB body come at 100 KB/s */
  requestMs: number;
  /** an idle keep-alive connection; above client-go's 90 s idle timeout, so clients close first */
  keepAliveMs: number;
  /** how often Node looks for late requests (its default, 30 s, would add up to that to each bound) */
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 15_000,
  requestMs: 30_000,
  keepAliveMs: 120_000,
  checkIntervalMs: 1_000,
};

/** Options for node's http(s).createServer (`node`) and for fastify (`fastify`, which sets some itself). */
export function httpServerOptions(over?: Partial<HttpTimeouts>) {
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...over };
  // node refuses a headers timeout above the request timeout
  const headersMs = Math.min(t.headersMs, t.requestMs);
  return {
    timeouts: t,
    node: { headersTimeout: headersMs, requestTimeout: t.requestMs, connectionsCheckingInterval: t.checkIntervalMs },
    // fastify sets requestTimeout and keepAliveTimeout on the server after creating it
    fastify: { requestTimeout: t.requestMs, keepAliveTimeout: t.keepAliveMs },
  };
}
