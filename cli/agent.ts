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
import clusterDns from '@skiff/plugin-cluster-dns/plugin';
import criContainerd from '@skiff/plugin-cri-containerd/plugin';
import deviceManager from '@skiff/plugin-device-manager/plugin';
import kubelet from '@skiff/plugin-kubelet/plugin';
import kubeletMetrics from '@skiff/plugin-kubelet-metrics/plugin';
import ingressProxy from '@skiff/plugin-ingress-proxy/plugin';
import nodeStreams from '@skiff/plugin-node-streams/plugin';
import networkPolicy from '@skiff/plugin-network-policy/plugin';
import serviceProxy from '@skiff/plugin-service-proxy/plugin';
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
  /** the pods' addresses (node-ipam's clusterCIDR), for the pod network's masquerade and the Service proxy */
  clusterCIDR?: string;
  /** false: no Service proxy (nftables) on this node */
  serviceProxy?: false;
  /** NetworkPolicy enforcement for this node's pods (nftables); false: none on this node */
  networkPolicy?: false;
  /** the node-local cluster DNS at the kube-dns ClusterIP, the pods' nameserver; false: none */
  clusterDns?: { address?: string; clusterDomain?: string } | false;
  /**
   * an Ingress proxy on this node (off unless asked: it listens on fixed ports, 80 and 443). A port
   * it cannot bind is tried again every `bindRetryMs` (default 5 s), never failing the agent.
   */
  ingress?: { listenAddress?: string; httpPort?: number; httpsPort?: number; bindRetryMs?: number };
}

/** kube-dns's ClusterIP (the service CIDR's .10) and the cluster domain, as kubeadm sets them */
export const DEFAULT_CLUSTER_DNS = '10.96.0.10';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

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
    const cidr = o.clusterCIDR ? { clusterCIDR: o.clusterCIDR } : {};
    if (o.cniConfDir !== false) plugins.push({ descriptor: cniBridge, config: { ...(o.cniConfDir ? { confDir: o.cniConfDir } : {}), ...cidr, ...o.cni } });
    if (o.cniConfDir !== false) plugins.push({ descriptor: podRoutes, config: {} });
    const dns = o.clusterDns === false ? undefined : { address: o.clusterDns?.address ?? DEFAULT_CLUSTER_DNS, domain: o.clusterDns?.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN };
    if (o.serviceProxy !== false) plugins.push({ descriptor: serviceProxy, config: cidr });
    if (o.networkPolicy !== false) plugins.push({ descriptor: networkPolicy, config: {} });
    if (dns)
      plugins.push({
        descriptor: clusterDns,
        // every node answers at kube-dns's address itself (node-local); another process holding
        // the port (a second agent on this host) is waited out, not fatal
        config: { listen: [`${dns.address}:53`], localAddress: dns.address, publishService: true, clusterDomain: dns.domain, bindRetryMs: 5000 },
      });
    if (o.ingress) plugins.push({ descriptor: ingressProxy, config: { ...(o.address ? { address: o.address } : {}), bindRetryMs: 5000, ...o.ingress } });
    // the device-plugin API (kubelet.sock in <root>/device-plugins), loaded before the kubelet so that
    // its first pass (admitting pods, releasing the devices of pods gone meanwhile) sees it
    const rootDir = o.rootDir ?? (o.kubelet?.rootDir as string | undefined);
    plugins.push({ descriptor: deviceManager, config: rootDir ? { rootDir } : {} });
    plugins.push({
      descriptor: kubelet,
      config: {
        ...(dns ? { clusterDNS: [dns.address], clusterDomain: dns.domain } : {}),
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
