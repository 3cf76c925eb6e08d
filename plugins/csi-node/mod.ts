// @skiff/plugin-csi-node: CSI on the node — the `skiff.io/csi` plugin (registration watcher, a CSI
// client per driver as CsiDriversToken, CSINode publishing) and the host-path driver
// (`./hostpath`, run by `skiff csi-hostpath`).
export { CsiDriverClientImpl, DEFAULT_CSI_TIMEOUT_MS } from './csi-client.ts';
export { CsiError } from './grpc-call.ts';
export { CsiDriverRegistry } from './registry.ts';
export { PluginWatcher, socketAlive, type PluginWatcherOptions } from './watcher.ts';
export { NodeInfoSync, CSI_NODES, NODE_ID_ANNOTATION, type CsiNodeDriver } from './node-info.ts';
export { registrationProblem, csiDriverNameErrors, highestSupportedVersion } from './validation.ts';
export { csiServices, findCsiProtoDir, LOADER_OPTIONS } from './proto.ts';
export { REGISTRY_DIR, type CsiNodeConfig } from './plugin.ts';
