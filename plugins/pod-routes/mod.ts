// @skiff/plugin-pod-routes: the cross-node pod network, host-gw style — a route on every node to
// each other node's pod CIDR via that node's InternalIP.
export { default, default as podRoutesPlugin, configSchema, type PodRoutesConfig } from './plugin.ts';
export { desiredRoutes, type NodeRoute } from './desired.ts';
export { RouteTable, type RouteTableOptions } from './route-table.ts';
export { RouteSyncer, type RouteSyncerOptions } from './route-syncer.ts';
