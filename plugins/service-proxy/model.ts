// What the proxy programs for one Service port, from the Service, its EndpointSlices and this node's
// name: kube-proxy's ServicePort + CategorizeEndpoints. IPv4 only (IPv6 addresses are left out).
import { createHash } from 'node:crypto';
import { LABEL_SERVICE_NAME, type EndpointSlice, type KObject, type Service } from '@skiff/api';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = LABEL_SERVICE_NAME;
export type { EndpointSlice };

export type L4Proto = 'tcp' | 'udp' | 'sctp';

export interface Endpoint {
  ip: string;
  port: number;
  /** on this node */
  local: boolean;
  /** on another node (false when the slice does not say which node) */
  remote: boolean;
}

export interface ServicePortState {
  /** `ns/name/proto/portName`: the identity of the port */
  key: string;
  /** the Service's `ns/name` */
  service: string;
  proto: L4Proto;
  clusterIPs: string[];
  port: number;
  nodePort?: number;
  /** sessionAffinity ClientIP: its timeout, else undefined */
  affinitySeconds?: number;
  internalLocal: boolean;
  externalLocal: boolean;
  /** endpoints traffic with policy Cluster goes to (ready ones; serving+terminating when none is ready) */
  clusterEndpoints: Endpoint[];
  /** the same among this node's endpoints */
  localEndpoints: Endpoint[];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const isIPv4 = (s: string) => IPV4.test(s);

/** A short stable hash of a key (chain and set names carry it: names are cut, the hash is not). */
export function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('base64url').replace(/[-_]/g, 'x').slice(0, 12);
}

export const serviceKey = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The Service an EndpointSlice belongs to (`ns/name`), or undefined. */
export function sliceService(s: EndpointSlice): string | undefined {
  const name = s.metadata.labels?.[SERVICE_NAME_LABEL];
  return name ? `${s.metadata.namespace ?? ''}/${name}` : undefined;
}

/** The Service's ports as the proxy sees them (none for headless and ExternalName Services). */
export function servicePorts(svc: Service, slices: Iterable<EndpointSlice>, nodeName: string): ServicePortState[] {
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return [];
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter(isIPv4);
  const hasNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  if (!clusterIPs.length && !hasNodePorts) return [];
  const sliceList = [...slices].filter((s) => (s.addressType ?? 'IPv4') === 'IPv4');
  const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
  const out: ServicePortState[] = [];
  for (const p of spec.ports ?? []) {
    const proto = (p.protocol ?? 'TCP').toLowerCase() as L4Proto;
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') continue;
    const portName = p.name ?? '';
    const { cluster, local } = categorize(endpointsFor(sliceList, portName, proto, nodeName));
    out.push({
      key: `${serviceKey(svc)}/${proto}/${portName}`,
      service: serviceKey(svc),
      proto,
      clusterIPs,
      port: p.port,
      ...(hasNodePorts && p.nodePort ? { nodePort: p.nodePort } : {}),
      ...(affinity !== undefined ? { affinitySeconds: affinity } : {}),
      internalLocal: spec.internalTrafficPolicy === 'Local',
      externalLocal: hasNodePorts && spec.externalTrafficPolicy === 'Local',
      clusterEndpoints: cluster,
      localEndpoints: local,
    });
  }
  return out;
}

interface Candidate extends Endpoint {
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** Endpoints of the slices for one Service port (by port name and protocol), one per ip:port. */
function endpointsFor(slices: EndpointSlice[], portName: string, proto: L4Proto, nodeName: string): Candidate[] {
  const seen = new Map<string, Candidate>();
  for (const s of slices) {
    const port = (s.ports ?? []).find((sp) => (sp.name ?? '') === portName && (sp.protocol ?? 'TCP').toLowerCase() === proto);
    if (!port || typeof port.port !== 'number' || !Number.isInteger(port.port) || port.port < 1 || port.port > 65535) continue;
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!ip || !isIPv4(ip)) continue;
      const c = e.conditions ?? {};
      // nil ready or serving means "unknown": kube reads it as ready; terminating nil is false
      const ready = c.ready !== false;
      const local = !!nodeName && e.nodeName === nodeName;
      const cand: Candidate = { ip, port: port.port, local, remote: !!e.nodeName && !local, ready, serving: c.serving == null ? ready : c.serving, terminating: c.terminating === true };
      const k = `${ip}:${port.port}`;
      const prev = seen.get(k);
      if (!prev || (!prev.ready && cand.ready)) seen.set(k, cand);
    }
  }
  return [...seen.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

/** kube-proxy's rule: the ready endpoints; when none is ready, the serving and terminating ones. */
function usable(cs: Candidate[]): Endpoint[] {
  const ready = cs.filter((c) => c.ready);
  const pick = ready.length ? ready : cs.filter((c) => c.serving && c.terminating);
  return pick.map(({ ip, port, local, remote }) => ({ ip, port, local, remote }));
}

function categorize(cs: Candidate[]): { cluster: Endpoint[]; local: Endpoint[] } {
  return { cluster: usable(cs), local: usable(cs.filter((c) => c.local)) };
}
