// Builds a route table (route-table.ts) from the Ingresses a proxy serves and what they point at.
// Several Ingresses merge into one table; where two claim the same host and path (or the default
// backend, or a host's certificate), the oldest Ingress wins, as ingress-nginx decides. Whatever is
// wrong with one Ingress (a missing Service or Secret, a Service port that does not exist) is
// reported as a problem of that Ingress and gives its routes a backend without endpoints (503), or
// its hosts the default certificate: it never breaks the table.
import type { EndpointSlice, Ingress, IngressBackend, Secret, Service } from '@skiff/api';
import { BackendPool, resolveService, type Cursor } from './backends.ts';
import { emptyTable, pathElements, sortRoutes, type PathRoute, type RouteTable } from './route-table.ts';
import type { TlsContexts } from './tls-secrets.ts';

export interface Problem {
  reason: string;
  message: string;
}

export interface Sources {
  service(namespace: string, name: string): Service | undefined;
  /** the EndpointSlices of Service namespace/name */
  slices(namespace: string, service: string): EndpointSlice[];
  secret(namespace: string, name: string): Secret | undefined;
}

export interface BuildResult {
  table: RouteTable;
  /** problems by Ingress (namespace/name); Ingresses without problems are absent */
  problems: Map<string, Problem[]>;
}

export const ingressKey = (i: Ingress): string => `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}`;

/** Oldest first (creationTimestamp, then namespace/name), the order in which conflicts are decided. */
export function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : ingressKey(a) < ingressKey(b) ? -1 : ingressKey(a) > ingressKey(b) ? 1 : 0;
}

export class RouteBuilder {
  /** round-robin positions by pool key, kept across builds */
  private cursors = new Map<string, Cursor>();

  constructor(
    private readonly sources: Sources,
    private readonly tls: TlsContexts,
  ) {}

  build(ingresses: readonly Ingress[]): BuildResult {
    const table = emptyTable();
    const problems = new Map<string, Problem[]>();
    const build: BuildState = { pools: new Map(), cursors: new Map() };
    const exact = new Map<string, PathRoute[]>();
    const wildcard = new Map<string, PathRoute[]>();
    const anyHost: PathRoute[] = [];
    const claimed = new Set<string>();

    for (const ing of [...ingresses].sort(byAge)) {
      const key = ingressKey(ing);
      const ns = ing.metadata.namespace ?? 'default';
      const spec = ing.spec ?? {};
      const own: Problem[] = [];
      const report = (p: Problem) => {
        if (!own.some((o) => o.reason === p.reason && o.message === p.message)) own.push(p);
      };
      const pool = (b: IngressBackend | undefined) => this.pool(ns, b, build, report);
      table.ingresses.add(key);

      if (spec.defaultBackend) {
        const p = pool(spec.defaultBackend);
        if (!table.defaultBackend) table.defaultBackend = p;
      }
      for (const rule of spec.rules ?? []) {
        const host = (rule.host ?? '').toLowerCase();
        const list = !host ? anyHost : host.startsWith('*.') ? group(wildcard, host.slice(2)) : group(exact, host);
        for (const p of rule.http?.paths ?? []) {
          const type = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
          const path = p.path || '/';
          const id = `${host}\0${type}\0${path}`;
          if (claimed.has(id)) {
            report({ reason: 'RouteConflict', message: `${type} path "${path}" of host "${host || '*'}" is served by an older Ingress` });
            continue;
          }
          claimed.add(id);
          list.push({ type, path, elements: pathElements(path), backend: pool(p.backend), ingress: key });
        }
      }
      this.certs(ing, ns, table, report);
      if (own.length) problems.set(key, own);
    }
    for (const [h, routes] of exact) table.exact.set(h, sortRoutes(routes));
    for (const [h, routes] of wildcard) table.wildcard.set(h, sortRoutes(routes));
    table.anyHost = sortRoutes(anyHost);
    this.cursors = build.cursors;
    this.tls.sweep();
    return { table, problems };
  }

  private pool(ns: string, b: IngressBackend | undefined, build: BuildState, report: (p: Problem) => void): BackendPool {
    const svc = b?.service;
    if (!svc) {
      const what = b?.resource ? `resource backend ${b.resource.kind} "${b.resource.name}"` : 'a backend without a Service';
      report({ reason: 'UnsupportedBackend', message: `${what} is not supported by this proxy: 503 for its routes` });
      return new BackendPool(`${ns}/<unsupported>`, [], undefined, 'backend not supported');
    }
    const key = `${ns}/${svc.name}:${svc.port?.name || svc.port?.number}`;
    const known = build.pools.get(key);
    if (known) {
      if (known.problem) report(known.problem);
      return known.pool;
    }
    const cursor = this.cursors.get(key) ?? { n: 0 };
    build.cursors.set(key, cursor);
    const r = resolveService(ns, svc, this.sources.service(ns, svc.name), this.sources.slices(ns, svc.name));
    let entry: { pool: BackendPool; problem?: Problem };
    if (!r.ok) {
      entry = { pool: new BackendPool(key, [], cursor, r.message), problem: { reason: r.reason, message: `${r.message}: 503 for its routes` } };
      report(entry.problem!);
    } else {
      entry = { pool: new BackendPool(key, r.endpoints, cursor, r.endpoints.length ? undefined : `no ready endpoints for Service "${ns}/${svc.name}"`) };
    }
    build.pools.set(key, entry);
    return entry.pool;
  }

  private certs(ing: Ingress, ns: string, table: RouteTable, report: (p: Problem) => void): void {
    for (const t of ing.spec?.tls ?? []) {
      if (!t.secretName) continue;
      const r = this.tls.get(ns, t.secretName, this.sources.secret(ns, t.secretName));
      if (!r.ok) {
        report({ reason: r.reason, message: r.message });
        continue;
      }
      // no hosts: the hosts of the Ingress's rules
      const hosts = t.hosts?.length ? t.hosts : (ing.spec?.rules ?? []).flatMap((x) => (x.host ? [x.host] : []));
      for (const h of hosts.map((x) => x.toLowerCase())) {
        if (h.startsWith('*.')) {
          const k = h.slice(2);
          if (!table.certs.wildcard.has(k)) table.certs.wildcard.set(k, r.context);
        } else if (!table.certs.exact.has(h)) table.certs.exact.set(h, r.context);
      }
    }
  }
}

interface BuildState {
  pools: Map<string, { pool: BackendPool; problem?: Problem }>;
  cursors: Map<string, Cursor>;
}

function group(m: Map<string, PathRoute[]>, host: string): PathRoute[] {
  let g = m.get(host);
  if (!g) m.set(host, (g = []));
  return g;
}
