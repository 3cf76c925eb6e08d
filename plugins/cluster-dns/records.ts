// The records one Service contributes to the cluster zone, by owner name (see zone.ts for the
// names): from its spec, and for a headless Service from the ready endpoints of its EndpointSlices.
import { dashedIP, isIPv4, isIPv6, normalizeName, reverseName } from './names.ts';
import type { EndpointSlice, Service } from './types.ts';

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface RRSet {
  a: string[];
  aaaa: string[];
  cname?: string;
  srv: SrvData[];
  ptr: string[];
}

export const emptySet = (): RRSet => ({ a: [], aaaa: [], srv: [], ptr: [] });
export const pushNew = <T>(xs: T[], x: T) => void (xs.includes(x) || xs.push(x));

export function serviceRecords(svc: Service, slices: Iterable<EndpointSlice>, domain: string): Map<string, RRSet> {
  const out = new Map<string, RRSet>();
  const at = (name: string): RRSet => {
    let s = out.get(name);
    if (!s) out.set(name, (s = emptySet()));
    return s;
  };
  const ns = svc.metadata.namespace ?? 'default';
  const fq = `${svc.metadata.name}.${ns}.svc.${domain}`;
  const spec = svc.spec ?? {};
  const self = at(fq); // the name exists whatever it holds
  if (spec.type === 'ExternalName') {
    if (spec.externalName) self.cname = normalizeName(spec.externalName);
    return out;
  }
  const addIP = (set: RRSet, ip: string) => (isIPv6(ip) ? pushNew(set.aaaa, ip) : pushNew(set.a, ip));
  const proto = (p: string | undefined) => `_${(p ?? 'TCP').toLowerCase()}`;
  if (spec.clusterIP === 'None') {
    const srvs = new Map<string, SrvData[]>();
    for (const slice of slices) {
      if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        for (const ip of ep.addresses ?? []) {
          if (slice.addressType === 'IPv4' ? !isIPv4(ip) : !isIPv6(ip)) continue;
          const epName = `${ep.hostname ? ep.hostname.toLowerCase() : dashedIP(ip)}.${fq}`;
          addIP(self, ip);
          addIP(at(epName), ip);
          const rev = reverseName(ip);
          if (rev) pushNew(at(rev).ptr, epName);
          for (const p of slice.ports ?? []) {
            if (!p.name || p.port === undefined) continue;
            const n = `_${p.name.toLowerCase()}.${proto(p.protocol)}.${fq}`;
            let list = srvs.get(n);
            if (!list) srvs.set(n, (list = []));
            if (!list.some((s) => s.target === epName && s.port === p.port)) list.push({ priority: 0, weight: 0, port: p.port, target: epName });
          }
        }
      }
    }
    for (const [n, list] of srvs) {
      const weight = Math.max(1, Math.floor(100 / list.length));
      at(n).srv = list.map((s) => ({ ...s, weight }));
    }
    return out;
  }
  const ips = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => isIPv4(ip) || isIPv6(ip));
  for (const ip of ips) {
    addIP(self, ip);
    const rev = reverseName(ip);
    if (rev) pushNew(at(rev).ptr, fq);
  }
  for (const p of spec.ports ?? []) {
    if (!p.name) continue;
    at(`_${p.name.toLowerCase()}.${proto(p.protocol)}.${fq}`).srv.push({ priority: 0, weight: 100, port: p.port, target: fq });
  }
  return out;
}
