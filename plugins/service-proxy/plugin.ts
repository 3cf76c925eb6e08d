// The service proxy (type skiff.io/service-proxy, node side): kube-proxy's job in nftables. Each
// agent runs it; it watches Services, EndpointSlices (discovery.k8s.io/v1) and its own Node (for the
// addresses NodePorts answer on), and programs the `svc-` objects of `table inet skiff` (rules.ts,
// proxier.ts). `netns` runs nft inside a named network namespace (tests program a "node" namespace).
import { hostname } from 'node:os';
import { ENDPOINT_SLICES, NODES, SERVICES, type Node, type Service } from '@skiff/api';
import { SharedInformerFactory } from '@skiff/client';
import { Nft } from '@skiff/client/nftables';
import { definePlugin, NodeNameToken } from '@skiff/kernel/plugins';
import { Conntrack } from './conntrack.ts';
import { isIPv4, type EndpointSlice } from './model.ts';
import { Proxier } from './proxier.ts';

export interface ServiceProxyConfig {
  /** this node's Node object (default: the agent's node name, else the host name) */
  nodeName?: string;
  /** pod addresses (traffic from elsewhere to a ClusterIP, or a NodePort with policy Cluster, is masqueraded); "" for none */
  clusterCIDR: string;
  masqueradeAll: boolean;
  /** the fwmark bit that asks for masquerade (kube-proxy's 14) */
  masqueradeBit: number;
  /** run nft (and conntrack) in this named network namespace */
  netns?: string;
  /** a full resync at least this often; 0: only at start and after a failure */
  fullSyncSeconds: number;
  /** wait after a change before syncing, to batch a burst */
  syncDelayMs: number;
  /** clear conntrack entries of removed UDP endpoints (when `conntrack` is installed) */
  conntrack: boolean;
}

export const configSchema = {
  type: 'object',
  properties: {
    nodeName: { type: 'string', minLength: 1 },
    clusterCIDR: { type: 'string', pattern: '^$|^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$', default: '10.244.0.0/16' },
    masqueradeAll: { type: 'boolean', default: false },
    masqueradeBit: { type: 'integer', minimum: 0, maximum: 31, default: 14 },
    netns: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    fullSyncSeconds: { type: 'number', minimum: 0, default: 300 },
    syncDelayMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 0 },
    conntrack: { type: 'boolean', default: true },
  },
  additionalProperties: false,
};

/** The Services the proxy programs: not those another proxy implements, not headless ones (kube-proxy's selector). */
export const NOT_OURS = '!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless';

/** The addresses NodePorts answer on: the Node's InternalIP and ExternalIP (IPv4). */
export function nodeAddresses(node: Node | undefined): string[] {
  return (node?.status?.addresses ?? []).filter((a) => (a.type === 'InternalIP' || a.type === 'ExternalIP') && isIPv4(a.address)).map((a) => a.address);
}

export default definePlugin<ServiceProxyConfig>({
  name: 'service-proxy',
  version: '0.1.0',
  type: 'skiff.io/service-proxy',
  configSchema,
  async start(ctx) {
    const { config, logger } = ctx;
    const nodeName = config.nodeName ?? ctx.tryResolve(NodeNameToken) ?? hostname().toLowerCase();
    const nft = new Nft(config.netns ? { netns: config.netns } : {});
    const proxier = new Proxier({
      nft,
      nodeName,
      logger,
      ...(config.clusterCIDR ? { clusterCIDR: config.clusterCIDR } : {}),
      masqueradeAll: config.masqueradeAll,
      masqueradeBit: config.masqueradeBit,
      fullSyncSeconds: config.fullSyncSeconds,
      syncDelayMs: config.syncDelayMs,
      ...(config.conntrack ? { conntrack: new Conntrack({ logger, ...(config.netns ? { netns: config.netns } : {}) }) } : {}),
      onError: (message) => {
        ctx.reportRuntime({ node: nodeName, ...proxier.stats, lastError: message });
        ctx.recordEvent({ type: 'Warning', reason: 'SyncFailed', message: `nft refused the service rules (the previous ones stay in force; retrying with a full sync): ${message}` });
      },
      onSync: (s) => ctx.reportRuntime({ node: nodeName, ...proxier.stats, lastSync: { full: s.full, changedPorts: s.changedPorts, lines: s.lines, ms: Math.round(s.ms * 10) / 10 } }),
    });

    const factory = SharedInformerFactory.for(ctx.kernel, logger);
    // as kube-proxy: Services another proxy implements (the node-local cluster DNS) and headless ones are not ours
    const services = factory.acquire<Service>(SERVICES, { labelSelector: NOT_OURS });
    const slices = factory.acquire<EndpointSlice>(ENDPOINT_SLICES);
    const nodes = factory.acquire<Node>(NODES, { fieldSelector: `metadata.name=${nodeName}` });
    const off = [
      services.informer.addEventHandler({ onAdd: (s) => proxier.setService(s), onUpdate: (_, s) => proxier.setService(s), onDelete: (s) => proxier.deleteService(s) }),
      slices.informer.addEventHandler({ onAdd: (s) => proxier.setSlice(s), onUpdate: (o, s) => proxier.setSlice(s, o), onDelete: (s) => proxier.deleteSlice(s) }),
      nodes.informer.addEventHandler({ onAdd: (n) => proxier.setNodeIPs(nodeAddresses(n)), onUpdate: (_, n) => proxier.setNodeIPs(nodeAddresses(n)), onDelete: () => proxier.setNodeIPs([]) }),
    ];
    // the first sync waits for the first lists: a sync from half the Services would cut the others off
    void Promise.all([services.informer.synced, slices.informer.synced, nodes.informer.synced]).then(
      () => {
        if (ctx.signal.aborted) return;
        logger.info('service proxy: programming table inet skiff', { node: nodeName, netns: config.netns, clusterCIDR: config.clusterCIDR });
        proxier.start();
      },
      (e: unknown) => logger.error('service proxy: informers failed to sync', { error: String(e) }),
    );
    return {
      async stop() {
        for (const f of off) f();
        services.release();
        slices.release();
        nodes.release();
        await proxier.stop();
      },
    };
  },
});

