// @skiff/plugin-node-ipam: pod CIDRs for Nodes (kube-controller-manager's node IPAM range allocator).
export { default, default as nodeIpamPlugin, configSchema, type NodeIpamConfig } from './plugin.ts';
export { setupNodeIpam, NODES } from './controller.ts';
export { IpamState, podCIDROf, type StateListener } from './state.ts';
export { RangeAllocator, Bitmap, type OccupyResult } from './allocator.ts';
export { BlockSet, parseCIDR, tryParseCIDR, formatCIDR, parseIPv4, formatIPv4, contains, overlaps, type Ipv4Cidr } from './cidr.ts';
