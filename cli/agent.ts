// `skiff agent`: a node agent, Skiff's kubelet. Connects to the control plane over the kernel bus
// (NATS, not the REST API), and runs the node plugins in a plugin host of its own: the CRI runtime
// (containerd), the CNI config (bridge), the kubelet (Node, Lease, pods), the node's log and
// exec streams, and its usage reports for the metrics API (kubelet-metrics).
import { hostname } from 'node:os';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectKernel, type KernelBusClient } from '@skiff/kernel/bus';
import { NatsToken, NodeNameToken, PluginHost, type LoadRequest, type Logger } from '@skiff/kernel/plugins';
import cniBridge from '@skiff/plugin-cni-bridge/plugin';
import criContainerd from '@skiff/plugin-cri-containerd/plugin';
import kubelet from '@skiff/plugin-kubelet/plugin';
import kubeletMetrics from '@skiff/plugin-kubelet-metrics/plugin';
import nodeStreams from '@skiff/plugin-node-streams/plugin';
import podRoutes from '@skiff/plugin-pod-routes/plugin';

export interface AgentOptions {
  natsUrl: string;
  nodeName?: string;
  criSocket?: string;
  /** InternalIP to report */
  address?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  maxPods?: number;
  rootDir?: string;
  /** where containerd reads CNI configs; false: no CNI config (host-network pods only) */
  cniConfDir?: string | false;
  /** extra cni-bridge config (benchmarks: `chain: 'legacy'`) */
  cni?: Record<string, unknown>;
  /** extra kubelet config (tests: shorter back-off and relist) */
  kubelet?: Record<string, unknown>;
}

export interface RunningAgent {
  nodeName: string;
  host: PluginHost;
  stop(): Promise<void>;
}

export async function startAgent(o: AgentOptions, logger: Logger): Promise<RunningAgent> {
  const nodeName = (o.nodeName || hostname()).toLowerCase();
  const nc: NatsConnection = await connect({ servers: o.natsUrl, name: `skiff-agent-${nodeName}`, maxReconnectAttempts: -1, noAsyncTraces: true });
  let kernel: KernelBusClient | undefined;
  let host: PluginHost | undefined;
  try {
    kernel = await connectKernel(nc);
    host = new PluginHost({ kernel, logger });
    host.root.register(NatsToken, { useValue: nc });
    host.root.register(NodeNameToken, { useValue: nodeName });
    const plugins: LoadRequest[] = [{ descriptor: criContainerd, config: o.criSocket ? { socket: o.criSocket } : {} }];
    if (o.cniConfDir !== false) plugins.push({ descriptor: cniBridge, config: { ...(o.cniConfDir ? { confDir: o.cniConfDir } : {}), ...o.cni } });
    if (o.cniConfDir !== false) plugins.push({ descriptor: podRoutes, config: {} });
    plugins.push({
      descriptor: kubelet,
      config: {
        ...(o.address ? { nodeAddress: o.address } : {}),
        ...(o.labels ? { labels: o.labels } : {}),
        ...(o.taints ? { taints: o.taints } : {}),
        ...(o.maxPods ? { maxPods: o.maxPods } : {}),
        ...(o.rootDir ? { rootDir: o.rootDir } : {}),
        ...o.kubelet,
      },
    });
    plugins.push({ descriptor: nodeStreams, config: {} });
    plugins.push({ descriptor: kubeletMetrics, config: {} });
    await host.load(plugins);
  } catch (e) {
    await host?.stopAll().catch(() => {});
    await kernel?.close().catch(() => {});
    await nc.close().catch(() => {});
    throw e;
  }
  const h = host;
  const k = kernel;
  return {
    nodeName,
    host: h,
    async stop() {
      await h.stopAll().catch(() => {});
      await k.close().catch(() => {});
      await nc.drain().catch(() => {});
    },
  };
}
