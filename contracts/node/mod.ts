// @skiff/node-api: the contracts of the node agent's plugins — interfaces, protocol-level types and
// service tokens, no implementation (README.md). A plugin that provides one implements it (a
// `skiff.io/cri` plugin provides CriRuntimeToken, ...); a plugin that consumes one imports it from
// here, never from the plugin that implements it.

// gRPC plumbing shared by the node protocols
export { GrpcStatus, grpcCode, grpcCodeName, isNotFound, isDeadlineExceeded, isUnavailable, type GrpcStatusCode } from './rpc-status.ts';
export type { CallOptions, Input } from './rpc.ts';

// CRI (runtime.v1): what the kubelet asks of the container runtime
export { CriRuntimeToken, CRI_METHODS, type CriRuntime, type CriMethod } from './cri/runtime.ts';
export { CriError } from './cri/errors.ts';
export type * from './cri/types.ts';
export * from './cri/labels.ts';

// CNI: the node's pod network configuration, and running a plugin chain
export { NodeNetworkToken, CniPluginsToken, type NodeNetwork, type PodNetworkConfig, type CniPlugins } from './cni/network.ts';
export {
  CniError, CNI_ERROR_CODES,
  type CniConflist, type CniPluginConf, type CniRuntimeConf, type CniPortMapping, type CniCommand, type CniErrorInit,
  type CniResult, type CniInterface, type CniIPConfig, type CniRoute, type CniDNS, type CniVersionInfo,
} from './cni/types.ts';

// CSI (csi.v1): provided by plugins/csi-node
export * as csi from './csi/mod.ts';
// Device plugins (deviceplugin/v1beta1): implemented by plugins/device-manager (skiff.io/device)
export * as devices from './device/mod.ts';
