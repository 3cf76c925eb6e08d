// @skiff/plugin-cni-bridge: the node's CNI network config (bridge + portmap + firewall, host-local
// IPAM on the node's podCIDR) for containerd, and a CNI plugin-chain runner. The CNI shapes (conflist,
// result, CniError) and the services it provides are the contract's: @skiff/node-api.
export { default, default as cniBridgePlugin, configSchema, type CniBridgeConfig } from './plugin.ts';
export {
  buildConflist, renderConflist, podCIDRsOf, CNI_VERSION, NETWORK_NAME, DEFAULT_BRIDGE, DEFAULT_DATA_DIR,
  type BridgeNetworkOptions,
} from './conflist.ts';
export { CniConfigWriter, DEFAULT_CONF_DIR, DEFAULT_CONF_FILE, type CniConfigWriterOptions, type WriteResult } from './cni-config-writer.ts';
export { CniExec, pluginConfig, encodeCniArgs, type CniExecOptions } from './cni-exec.ts';
export { containerIPs, parseResult } from './cni-result.ts';
export { NodeConfSync, type NodeConfSyncOptions } from './node-conf-sync.ts';
