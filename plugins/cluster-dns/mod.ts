// @skiff/plugin-cluster-dns: the cluster DNS (a node plugin answering the cluster zone from memory,
// forwarding other names upstream), and its parts for tests and benchmarks.
export { default, default as clusterDnsPlugin, configSchema, type ClusterDnsConfig } from './plugin.ts';
export { ClusterZone, SCHEMA_VERSION, type ClusterZoneOptions, type LookupResult } from './zone.ts';
export { Responder, type ResponderOptions, type ResponderStats } from './responder.ts';
export { DnsServer, parseListen, type DnsServerOptions, type ListenAddress } from './server.ts';
export { Forwarder, readUpstreams, upstreamsFromResolvConf, type Upstream, type ForwarderOptions } from './forwarder.ts';
export { ZoneSync } from './zone-sync.ts';
export { reverseName, dashedIP } from './names.ts';
export { SERVICE_NAME_LABEL, type EndpointSlice } from './types.ts';
