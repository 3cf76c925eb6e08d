// The gRPC API as a plugin (type skiff.io/api): skiff.v1.Objects, skiff.v1.Discovery, health and
// reflection on the configured address, with the TLS material and tokens the server composes
// (ApiServing) and the authorizer a plugin may provide (AuthorizerToken), as the REST API.
import { definePlugin } from '@skiff/kernel/plugins';
import { ApiServingToken, AuthorizerToken } from '@skiff/client/api-frontend';
import { createGrpcApi } from './server.ts';

export interface GrpcApiConfig {
  host: string;
  port: number;
  /** the largest request message, bytes */
  maxReceiveMessageBytes: number;
}

export default definePlugin<GrpcApiConfig>({
  name: 'grpc-api',
  version: '0.1.0',
  type: 'skiff.io/api',
  configSchema: {
    type: 'object',
    properties: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'integer', minimum: 0, maximum: 65535, default: 6444 },
      maxReceiveMessageBytes: { type: 'integer', minimum: 1024, maximum: 64 * 1024 * 1024, default: 4 * 1024 * 1024 },
    },
    additionalProperties: false,
  },
  async start(ctx) {
    const serving = ctx.tryResolve(ApiServingToken) ?? {};
    const api = await createGrpcApi({
      kernel: ctx.kernel,
      tls: serving.tls,
      tokens: serving.tokens,
      // per request: an authorizer plugin (RBAC) loaded or reloaded later takes effect at once
      authorizer: () => ctx.tryResolve(AuthorizerToken),
      readiness: serving.readiness,
      maxReceiveMessageBytes: ctx.config.maxReceiveMessageBytes,
      onInternalError: (err) => ctx.logger.error('gRPC call failed', { error: String((err as Error)?.stack ?? err) }),
    });
    const port = await api.listen(ctx.config.host, ctx.config.port);
    const host = ctx.config.host.includes(':') ? `[${ctx.config.host}]` : ctx.config.host;
    const address = `${host}:${port}`;
    ctx.logger.info('gRPC API listening', { address, tls: !!serving.tls });
    serving.onListening?.(address, 'grpc');
    return {
      // open watches are ended (clients watch again, against the new version); unary calls finish
      drain: () => api.drain(),
      stop: () => api.stop(),
    };
  },
});
