// Backends of Ingress routes: a Service port resolved to the ready endpoints of its EndpointSlices,
// as kube-proxy resolves them (the Service port's name names the slice port; the slice port's number
// is the target port), spread round-robin.
import type { EndpointSlice, IngressServiceBackend, Service } from '@skiff/api';

export interface Endpoint {
  host: string;
  port: number;
}

/** Round-robin position of a backend, kept across route-table rebuilds. */
export interface Cursor {
  n: number;
}

/** The endpoints of one Service port (or none, with the reason: 503). Immutable once built. */
export class BackendPool {
  constructor(
    /** namespace/service:port */
    readonly key: string,
    readonly endpoints: readonly Endpoint[],
    private readonly cursor: Cursor = { n: 0 },
    /** why there is no endpoint (the 503's message) */
    readonly unavailable?: string,
  ) {}

  /** The next endpoint round-robin, skipping those already tried for this request. */
  pick(tried?: ReadonlySet<string>): Endpoint | undefined {
    const n = this.endpoints.length;
    for (let i = 0; i < n; i++) {
      const ep = this.endpoints[this.cursor.n++ % n]!;
      if (!tried?.has(endpointKey(ep))) return ep;
    }
    return undefined;
  }
}

export const endpointKey = (ep: Endpoint): string => (ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`);

export type Resolution = { ok: true; endpoints: Endpoint[] } | { ok: false; reason: 'ServiceNotFound' | 'ServicePortNotFound' | 'UnsupportedBackend'; message: string };

/**
 * The endpoints behind `backend` (a Service in `namespace`): ready ones; when none is ready, the
 * serving ones that are terminating (as kube-proxy falls back to them).
 */
export function resolveService(namespace: string, backend: IngressServiceBackend, service: Service | undefined, slices: readonly EndpointSlice[]): Resolution {
  const ref = `${namespace}/${backend.name}`;
  if (!service) return { ok: false, reason: 'ServiceNotFound', message: `Service "${ref}" not found` };
  if (service.spec?.type === 'ExternalName') return { ok: false, reason: 'UnsupportedBackend', message: `Service "${ref}" is of type ExternalName: not supported as an Ingress backend` };
  const want = backend.port ?? {};
  const port = (service.spec?.ports ?? []).find((p) => (want.name ? p.name === want.name : p.port === want.number) && (p.protocol ?? 'TCP') === 'TCP');
  if (!port) {
    const which = want.name ? `named "${want.name}"` : String(want.number);
    return { ok: false, reason: 'ServicePortNotFound', message: `Service "${ref}" has no TCP port ${which}` };
  }
  const portName = port.name ?? '';
  const ready: Endpoint[] = [];
  const terminating: Endpoint[] = [];
  const seen = new Set<string>();
  for (const s of slices) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const sp = (s.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === 'TCP');
    const number = typeof sp?.port === 'number' ? sp.port : undefined;
    if (number === undefined) continue;
    for (const ep of s.endpoints ?? []) {
      const c = ep.conditions ?? {};
      // kube: ready unset means ready; serving unset means as ready
      const isReady = c.ready !== false && c.terminating !== true;
      const isServingTerminating = c.terminating === true && (c.serving ?? c.ready) === true;
      if (!isReady && !isServingTerminating) continue;
      const address = ep.addresses?.[0];
      if (!address) continue;
      const e = { host: address, port: number };
      const k = endpointKey(e);
      if (seen.has(k)) continue;
      seen.add(k);
      (isReady ? ready : terminating).push(e);
    }
  }
  return { ok: true, endpoints: ready.length ? ready : terminating };
}
