// The proxy's route table: an immutable snapshot built from the Ingresses (route-builder.ts) and
// swapped whole on every change, so a request sees one consistent table from start to end.
//
// Matching, as the Ingress spec says it:
// - host: an exact rule host first, then a `*.` wildcard one (it covers exactly one label:
//   `*.example.com` matches `a.example.com`, not `example.com` nor `a.b.example.com`), then the
//   rules without a host (they match every host). The first of these groups with a matching path
//   wins.
// - path: the longest matching path wins; of two equally long, Exact before Prefix. Prefix matches
//   element by element (`/foo` matches `/foo`, `/foo/` and `/foo/bar`, not `/foobar`; a trailing
//   `/` on either side is ignored); ImplementationSpecific is treated as Prefix.
// - nothing matched: the default backend (spec.defaultBackend), else 404.
import type { SecureContext } from 'node:tls';
import type { BackendPool } from './backends.ts';

export interface PathRoute {
  type: 'Exact' | 'Prefix';
  path: string;
  /** the path's elements for Prefix matching ('/' has none) */
  elements: string[];
  backend: BackendPool;
  /** namespace/name of the Ingress the route came from */
  ingress: string;
}

/** Routes of one host (or of the wildcard, or of every host), longest path first, Exact before Prefix. */
export type HostRoutes = PathRoute[];

export interface RouteTable {
  exact: Map<string, HostRoutes>;
  /** `*.example.com` rules by `example.com` */
  wildcard: Map<string, HostRoutes>;
  anyHost: HostRoutes;
  defaultBackend?: BackendPool;
  /** TLS certificates by exact host and by wildcard suffix; hosts with none get the default one */
  certs: { exact: Map<string, SecureContext>; wildcard: Map<string, SecureContext> };
  /** Ingresses (namespace/name) served by this table */
  ingresses: Set<string>;
}

export const emptyTable = (): RouteTable => ({
  exact: new Map(),
  wildcard: new Map(),
  anyHost: [],
  certs: { exact: new Map(), wildcard: new Map() },
  ingresses: new Set(),
});

export const pathElements = (p: string): string[] => p.split('/').filter((e) => e !== '');

/** Order routes for matching: longest path first, Exact before Prefix, then as added (oldest Ingress first). */
export function sortRoutes(routes: PathRoute[]): PathRoute[] {
  return routes
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.path.length - a.r.path.length || (a.r.type === b.r.type ? 0 : a.r.type === 'Exact' ? -1 : 1) || a.i - b.i)
    .map((x) => x.r);
}

function pathMatches(route: PathRoute, path: string, elements: () => string[]): boolean {
  if (route.type === 'Exact') return route.path === path;
  if (route.elements.length === 0) return true;
  const els = elements();
  if (els.length < route.elements.length) return false;
  for (let i = 0; i < route.elements.length; i++) if (els[i] !== route.elements[i]) return false;
  return true;
}

/** The request's host as rules name hosts: lower case, no port, no trailing dot. */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  let h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1); // an IPv6 literal: never a rule host
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** `a.example.com` -> `example.com` (what a `*.` rule is filed under); '' for a single label. */
export function wildcardKey(host: string): string {
  const dot = host.indexOf('.');
  return dot < 0 ? '' : host.slice(dot + 1);
}

export interface Match {
  backend: BackendPool;
  route?: PathRoute;
}

/** The backend for a request (host header, path without the query), or undefined: 404. */
export function match(table: RouteTable, hostHeader: string | undefined, path: string): Match | undefined {
  const host = normalizeHost(hostHeader);
  let els: string[] | undefined;
  const elements = () => (els ??= pathElements(path));
  const groups: (HostRoutes | undefined)[] = [table.exact.get(host), table.wildcard.get(wildcardKey(host)), table.anyHost];
  for (const routes of groups) {
    if (!routes) continue;
    for (const r of routes) if (pathMatches(r, path, elements)) return { backend: r.backend, route: r };
  }
  return table.defaultBackend ? { backend: table.defaultBackend } : undefined;
}

/** The certificate for an SNI server name, or undefined: the default one. */
export function certFor(table: RouteTable, servername: string): SecureContext | undefined {
  const host = normalizeHost(servername);
  return table.certs.exact.get(host) ?? table.certs.wildcard.get(wildcardKey(host));
}
