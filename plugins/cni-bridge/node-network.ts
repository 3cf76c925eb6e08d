// The NodeNetwork service of this plugin (@skiff/node-api's CNI contract): the conflist last written
// for the Node's podCIDRs, and its changes, for the other plugins of the agent.
import type { CniConflist, NodeNetwork, PodNetworkConfig } from '@skiff/node-api';

export class NodeNetworkState implements NodeNetwork {
  private config?: PodNetworkConfig;
  private readonly listeners = new Set<(c: PodNetworkConfig) => void>();

  current(): PodNetworkConfig | undefined {
    return this.config && structuredClone(this.config);
  }

  onChange(listener: (c: PodNetworkConfig) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The conflist at `path` was written for `podCIDRs`; listeners hear of it when it differs from the last. */
  written(path: string, podCIDRs: string[], conflist: CniConflist): void {
    const next: PodNetworkConfig = { name: conflist.name, cniVersion: conflist.cniVersion, path, podCIDRs: [...podCIDRs], conflist: structuredClone(conflist) };
    if (this.config && JSON.stringify(this.config) === JSON.stringify(next)) return;
    this.config = next;
    for (const l of this.listeners) {
      try {
        l(structuredClone(next));
      } catch {
        // a listener's failure is its own
      }
    }
  }
}
