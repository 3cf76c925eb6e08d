// The Ingress proxy (type skiff.io/ingress, node side), run by every agent: an HTTP and HTTPS reverse
// proxy for the Ingresses (networking.k8s.io/v1) of the IngressClasses whose controller is
// skiff.io/ingress-proxy, forwarding to the Services' ready endpoints. It creates the IngressClass
// `skiff` (marked default unless another class is) when it does not exist. See ingress-proxy.ts.
import { hostname } from 'node:os';
import { definePlugin, NodeNameToken } from '@skiff/kernel/plugins';
import { CONTROLLER } from './ingress-class.ts';
import { IngressProxy } from './ingress-proxy.ts';

export interface IngressProxyConfig {
  /** this node's Node object (default: the agent's node name, else the host name) */
  nodeName?: string;
  /** the address published in Ingress status (default: the Node's InternalIP) */
  address?: string;
  /** the address both servers listen on */
  listenAddress: string;
  /** HTTP port (0: any free one; -1: no HTTP server) */
  httpPort: number;
  /** HTTPS port (0: any free one; -1: no HTTPS server) */
  httpsPort: number;
  /** the IngressClass to create when it does not exist; '' for none */
  className: string;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  /** a port that cannot be bound: 0 fails the start; else try again this often (logged, and Events on the Node) */
  bindRetryMs: number;
}

export const configSchema = {
  type: 'object',
  properties: {
    nodeName: { type: 'string', minLength: 1 },
    address: { type: 'string', minLength: 1 },
    listenAddress: { type: 'string', minLength: 1, default: '0.0.0.0' },
    httpPort: { type: 'integer', minimum: -1, maximum: 65535, default: 80 },
    httpsPort: { type: 'integer', minimum: -1, maximum: 65535, default: 443 },
    className: { type: 'string', pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$', maxLength: 253, default: 'skiff' },
    connectTimeoutMs: { type: 'integer', minimum: 1, default: 2_000 },
    responseTimeoutMs: { type: 'integer', minimum: 1, default: 60_000 },
    bindRetryMs: { type: 'integer', minimum: 0, default: 0 },
  },
  additionalProperties: false,
};

export default definePlugin<IngressProxyConfig>({
  name: 'ingress-proxy',
  version: '0.1.0',
  type: 'skiff.io/ingress',
  configSchema,
  async start(ctx) {
    const { kernel, logger, config } = ctx;
    const nodeName = config.nodeName ?? ctx.tryResolve(NodeNameToken) ?? hostname().toLowerCase();
    const report = () =>
      ctx.reportRuntime({ node: nodeName, httpPort: proxy.ports.http ?? null, httpsPort: proxy.ports.https ?? null, ...(proxy.unbound.size ? { notListening: Object.fromEntries(proxy.unbound) } : {}) });
    const proxy: IngressProxy = await IngressProxy.start(kernel, logger, {
      nodeName,
      address: config.address,
      http: config.httpPort >= 0 ? { host: config.listenAddress, port: config.httpPort } : undefined,
      https: config.httpsPort >= 0 ? { host: config.listenAddress, port: config.httpsPort } : undefined,
      className: config.className,
      controller: CONTROLLER,
      connectTimeoutMs: config.connectTimeoutMs,
      responseTimeoutMs: config.responseTimeoutMs,
      bindRetryMs: config.bindRetryMs,
      onListening: () => report(),
    });
    report();
    return { stop: () => proxy.stop() };
  },
});
