// @skiff/plugin-ingress-proxy: the node's Ingress reverse proxy (plugin.ts) and its parts.
export { IngressProxy, type IngressProxyOptions } from './ingress-proxy.ts';
export { ProxyServer, type ProxyServerOptions, type Listen } from './proxy-server.ts';
export { match, certFor, type RouteTable } from './route-table.ts';
export { RouteBuilder } from './route-builder.ts';
export { CONTROLLER, DEFAULT_CLASS_ANNOTATION, servedBy, defaultClass } from './ingress-class.ts';
export { selfSignedCert, type CertAndKey } from './self-signed.ts';
