// The REST API as a plugin (type skiff.io/api): fastify on the configured address, over the Kernel.
import { definePlugin, NatsToken } from '@skiff/kernel/plugins';
import { createApiServer } from './server.ts';
import { ApiServingToken } from './serving.ts';

export interface RestApiConfig {
  host: string;
  port: number;
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
    },
    additionalProperties: false,
  },
  async start(ctx) {
    const serving = ctx.tryResolve(ApiServingToken) ?? {};
    const app = await createApiServer({
      kernel: ctx.kernel,
      tls: serving.tls,
      tokens: serving.tokens,
      readiness: serving.readiness,
      liveness: serving.liveness,
      nats: ctx.tryResolve(NatsToken),
      onInternalError: (err, req) => ctx.logger.error('request failed', { method: req.method, url: req.url, error: String((err as Error)?.stack ?? err) }),
    });
    await app.listen({ host: ctx.config.host, port: ctx.config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : ctx.config.port;
    const url = `${serving.tls ? 'https' : 'http'}://${ctx.config.host}:${port}`;
    ctx.logger.info('REST API listening', { url });
    serving.onListening?.(url);
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
