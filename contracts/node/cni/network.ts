// What a `skiff.io/cni` plugin provides to the rest of the node agent. On a Skiff node the runtime
// (containerd's CRI) runs the CNI chain for every sandbox, as for a kubelet: the kubelet itself never
// calls CNI, and learns whether the pod network is up from the runtime's NetworkReady condition.
// What the network plugin owns is the node's network configuration: it builds the conflist from the
// Node's podCIDRs and drops it where the runtime reads it. Two services expose that to other plugins:
//
//  - NodeNetwork: the pod network configured for this node now (name, conflist, file, podCIDRs),
//    and its changes. For plugins that must agree with it (pod routes, policy, a simulated runtime
//    handing out addresses of the same podCIDRs) without reading the network plugin's files.
//  - CniPlugins: runs a conflist's plugin chain the way the runtime does (libcni's CNI interface:
//    AddNetworkList, DelNetworkList, CheckNetworkList, GetVersionInfo), with the network plugin's
//    binary directory. For checks and cleanup (a pod's DEL after the runtime lost it) and for
//    runtimes that do not run CNI themselves.
import { createServiceToken } from '@skiff/kernel/plugins';
import type { CniConflist, CniResult, CniRuntimeConf, CniVersionInfo } from './types.ts';

/** The pod network a skiff.io/cni plugin configured for this node's runtime. */
export interface PodNetworkConfig {
  /** the conflist's `name` */
  name: string;
  cniVersion: string;
  /** the file the runtime reads it from */
  path: string;
  /** the Node's pod CIDRs it was built for (spec.podCIDRs) */
  podCIDRs: string[];
  conflist: CniConflist;
}

export interface NodeNetwork {
  /** The configuration written now; undefined until the Node has a podCIDR and it was written. */
  current(): PodNetworkConfig | undefined;
  /** Calls `listener` with every new configuration (not with the current one); returns what unsubscribes. */
  onChange(listener: (config: PodNetworkConfig) => void): () => void;
}

/** Runs the plugin chain of a conflist (errors are CniErrors). */
export interface CniPlugins {
  /** ADD through the chain, each plugin getting the previous result; resolves with the last. */
  add(list: CniConflist, rt: CniRuntimeConf): Promise<CniResult>;
  /** DEL in reverse order; every plugin runs even when one fails (a DEL is a cleanup). */
  del(list: CniConflist, rt: CniRuntimeConf, prevResult?: CniResult): Promise<void>;
  /** CHECK through the chain with the ADD result. */
  check(list: CniConflist, rt: CniRuntimeConf, prevResult: CniResult): Promise<void>;
  /** Which spec versions the plugin binary `type` speaks. */
  version(type: string, cniVersion?: string): Promise<CniVersionInfo>;
}

/** The node's pod network configuration, provided by the `skiff.io/cni` plugin. */
export const NodeNetworkToken = createServiceToken<NodeNetwork>('skiff.cni.node-network');
/** The CNI chain runner of the `skiff.io/cni` plugin (its binary directory). */
export const CniPluginsToken = createServiceToken<CniPlugins>('skiff.cni.plugins');
