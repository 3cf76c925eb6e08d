// A pod's DNS config for the sandbox, as kubelet's network/dns Configurer.GetPodDNS builds it:
// - dnsPolicy None: only spec.dnsConfig;
// - ClusterFirst (not host network) and ClusterFirstWithHostNet: the cluster DNS servers, searches
//   <ns>.svc.<domain>, svc.<domain>, <domain> then the node's, options ndots:5 — when the node has
//   cluster DNS configured; else (a Warning MissingClusterDNS) like Default;
// - Default, and ClusterFirst on host network: the node's resolv.conf (given as text); without one,
//   nameserver 127.0.0.1 (::1 on IPv6-only nodes) and search "." (kubelet's --resolv-conf="");
// then spec.dnsConfig is merged in (duplicates dropped, options by name, the pod's winning), and the
// result is cut to kube's limits (3 nameservers, 32 search domains / 2048 characters).
// Option order: kube builds options from a Go map (random order); here the first mention keeps its place.
import type { DNSConfig } from '@skiff/node-api';
import type { EventRecorder, Pod } from './types.ts';

export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const DEFAULT_DNS_OPTIONS = ['ndots:5'];

export interface DNSOptions {
  /** the cluster DNS servers (kubelet's clusterDNS); empty = none configured */
  clusterDNS?: readonly string[];
  /** e.g. "cluster.local" (kubelet's clusterDomain) */
  clusterDomain?: string;
  /** the node's resolv.conf text (kubelet's --resolv-conf file's content); undefined = none */
  resolvConf?: string;
  /** the node's IPs (which loopback to use without a resolv.conf) */
  nodeIPs?: readonly string[];
  recorder?: EventRecorder;
}

const omitDuplicates = (xs: readonly string[]) => [...new Set(xs)];

/** Merges options by name ("ndots:5" → ndots); a later one replaces an earlier one in place. */
function mergeOptions(existing: readonly string[], added: readonly string[]): string[] {
  const m = new Map<string, string>();
  for (const o of [...existing, ...added]) m.set(o.split(':')[0], o);
  return [...m.values()];
}

/** kube's parseResolvConf: nameservers accumulate, the last `search` wins (trailing dots trimmed, "." dropped), options merge. */
export function parseResolvConf(text: string): DNSConfig {
  const servers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const fields = line.split(/\s+/).filter(Boolean);
    if (!fields.length) continue;
    if (fields[0] === 'nameserver' && fields.length >= 2) servers.push(fields[1]);
    if (fields[0] === 'search') searches = fields.slice(1).filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    if (fields[0] === 'options') options = mergeOptions(options, fields.slice(1));
  }
  return { servers, searches, options };
}

type DNSType = 'none' | 'cluster' | 'host';

function podDNSType(pod: Pod): DNSType {
  switch (pod.spec.dnsPolicy ?? 'ClusterFirst') {
    case 'None':
      return 'none';
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'ClusterFirst':
      return pod.spec.hostNetwork ? 'host' : 'cluster';
    case 'Default':
      return 'host';
    default:
      return 'cluster'; // kube logs the invalid policy and uses ClusterFirst
  }
}

function fitLimits(cfg: DNSConfig, recorder?: EventRecorder): DNSConfig {
  const warn = (message: string) => recorder?.({ type: 'Warning', reason: 'DNSConfigForming', message });
  if (cfg.servers.length > MAX_DNS_NAMESERVERS) {
    cfg.servers = cfg.servers.slice(0, MAX_DNS_NAMESERVERS);
    warn(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${cfg.servers.join(' ')}`);
  }
  let searches = cfg.searches;
  let cut = false;
  if (searches.length > MAX_DNS_SEARCH_PATHS) {
    searches = searches.slice(0, MAX_DNS_SEARCH_PATHS);
    cut = true;
  }
  while (searches.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) {
    searches = searches.slice(0, -1);
    cut = true;
  }
  if (cut) {
    cfg.searches = searches;
    warn(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}`);
  }
  return cfg;
}

export function podDNSConfig(pod: Pod, opts: DNSOptions = {}): DNSConfig {
  const host = (): DNSConfig => {
    if (opts.resolvConf !== undefined) return parseResolvConf(opts.resolvConf);
    const ips = opts.nodeIPs ?? [];
    const servers = ips.length ? ips.map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1')) : ['127.0.0.1'];
    return { servers: omitDuplicates(servers), searches: ['.'], options: [] };
  };
  let cfg: DNSConfig;
  const type = podDNSType(pod);
  if (type === 'none') {
    cfg = { servers: [], searches: [], options: [] };
  } else if (type === 'cluster' && opts.clusterDNS?.length) {
    const base = opts.resolvConf !== undefined ? parseResolvConf(opts.resolvConf) : { servers: [], searches: [], options: [] };
    const d = opts.clusterDomain;
    const ns = pod.metadata.namespace ?? 'default';
    cfg = {
      servers: [...opts.clusterDNS],
      searches: d ? omitDuplicates([`${ns}.svc.${d}`, `svc.${d}`, d, ...base.searches]) : base.searches,
      options: [...DEFAULT_DNS_OPTIONS],
    };
  } else {
    if (type === 'cluster') {
      const msg = `kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`;
      opts.recorder?.({ type: 'Warning', reason: 'MissingClusterDNS', message: `pod: "${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid ?? ''})". ${msg}` });
    }
    cfg = host();
  }
  const extra = pod.spec.dnsConfig;
  if (extra) {
    cfg.servers = omitDuplicates([...cfg.servers, ...(extra.nameservers ?? [])]);
    cfg.searches = omitDuplicates([...cfg.searches, ...(extra.searches ?? [])]);
    cfg.options = mergeOptions(cfg.options, (extra.options ?? []).map((o) => (o.value ? `${o.name}:${o.value}` : o.name)));
  }
  return fitLimits(cfg, opts.recorder);
}
