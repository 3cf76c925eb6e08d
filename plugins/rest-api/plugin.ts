// The REST API as a plugin (type skiff.io/api): fastify on the configured address, over the Kernel.
import { definePlugin } from '@skiff/kernel/plugins';
import { createApiServer } from './server.ts';
import { ApiServingToken } from './serving.ts';
import { AuthorizerToken, PodStreamsToken } from '@skiff/client/api-frontend';
import { DEFAULT_FLOW_CONTROL, type FlowControlConfig } from './flow-control.ts';

export interface RestApiConfig {
  host: string;
  port: number;
  /** kube-apiserver's --max-requests-inflight: reads (gets, small list pages) running at once */
  maxRequestsInflight?: number;
  /** kube-apiserver's --max-mutating-requests-inflight: writes running at once */
  maxMutatingRequestsInflight?: number;
  /** LISTs without a small limit (and deleteCollections) running at once */
  maxListsInflight?: number;
  /** watches one client (token and address) may hold */
  maxWatchesPerClient?: number;
  /** how long a client may take to send a whole request, headers and body */
  requestTimeoutSeconds?: number;
  /** watches without timeoutSeconds end after 1 to 2 times this (kube-apiserver's --min-request-timeout) */
  minRequestTimeoutSeconds?: number;
}

/** A budget of `n` seats; one client may take three quarters of it, so others always find one. */
function seats(n: number | undefined): { concurrency: number; perFlow: number } | undefined {
  return n === undefined ? undefined : { concurrency: n, perFlow: Math.max(1, Math.floor(n * 0.75)) };
}

export function flowControlFromConfig(c: RestApiConfig): Partial<FlowControlConfig> {
  const d = DEFAULT_FLOW_CONTROL;
  const out: Partial<FlowControlConfig> = {};
  const read = seats(c.maxRequestsInflight);
  const write = seats(c.maxMutatingRequestsInflight);
  const list = seats(c.maxListsInflight);
  if (read) out.read = { ...d.read, ...read };
  if (write) out.write = { ...d.write, ...write };
  if (list) out.list = { ...d.list, ...list };
  if (c.maxWatchesPerClient !== undefined) out.watchesPerFlow = c.maxWatchesPerClient;
  return out;
}

export default definePlugin<RestApiConfig>({
  name: 'rest-api',
  version: '0.1.0',
  type: 'skiff.io/api',
  configSchema: {
    type: 'object',
    properties: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'integer', minimum: 0, maximum: 65535, default: 6443 },
      maxRequestsInflight: { type: 'integer', minimum: 1, maximum: 100000 },
      maxMutatingRequestsInflight: { type: 'integer', minimum: 1, maximum: 100000 },
      maxListsInflight: { type: 'integer', minimum: 1, maximum: 10000 },
      maxWatchesPerClient: { type: 'integer', minimum: 1, maximum: 1000000 },
      requestTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
      minRequestTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
    },
    additionalProperties: false,
  },
  async start(ctx) {
    const serving = ctx.tryResolve(ApiServingToken) ?? {};
    const app = await createApiServer({
      kernel: ctx.kernel,
      tls: serving.tls,
      tokens: serving.tokens,
      // per request: an authorizer plugin (RBAC) loaded or reloaded later takes effect at once
      authorizer: () => ctx.tryResolve(AuthorizerToken),
      flowControl: flowControlFromConfig(ctx.config),
      timeouts: ctx.config.requestTimeoutSeconds === undefined ? undefined : { requestMs: ctx.config.requestTimeoutSeconds * 1000 },
      minRequestTimeoutSeconds: ctx.config.minRequestTimeoutSeconds,
      readiness: serving.readiness,
      liveness: serving.liveness,
      // per request, as the authorizer: the provider (node-streams' pod-streams) may start or reload later
      podStreams: () => ctx.tryResolve(PodStreamsToken),
      onInternalError: (err, req) => ctx.logger.error('request failed', { method: req.method, url: req.url, error: String((err as Error)?.stack ?? err) }),
    });
    await app.listen({ host: ctx.config.host, port: ctx.config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : ctx.config.port;
    const url = `${serving.tls ? 'https' : 'http'}://${ctx.config.host}:${port}`;
    ctx.logger.info('REST API listening', { url });
    serving.onListening?.(url, 'rest');
    return {
      // in-flight requests finish; open watches are ended so clients re-watch against the new version
      async drain() {
        await app.close();
      },
      async stop() {
        await app.close();
      },
    };
  },
});
