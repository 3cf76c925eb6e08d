// @skiff/plugin-service-proxy: kube-proxy's job in nftables (ClusterIP, NodePort, session affinity,
// traffic policies, hairpin, reject without endpoints) in the `svc-` objects of `table inet skiff`.
export { default, default as serviceProxyPlugin, configSchema, nodeAddresses, type ServiceProxyConfig } from './plugin.ts';
export { Proxier, type ProxierOptions, type SyncReport, type UdpFlow } from './proxier.ts';
export { servicePorts, sliceService, serviceKey, SERVICE_NAME_LABEL, type EndpointSlice, type Endpoint, type ServicePortState } from './model.ts';
export { portObjects, fixedObjects, type RuleOptions, type PortObjects } from './rules.ts';
export { Conntrack } from './conntrack.ts';
