// The kubelet-metrics plugin (type skiff.io/node, in `skiff agent`): answers the metrics-server's
// scrapes (plugins/metrics-server/protocol.ts) with this node's usage — the node's from /proc, its
// pods' from the CRI runtime's container stats — like the kubelet's resource metrics endpoint.
import { definePlugin, NatsToken, NodeNameToken, PluginTypes } from '@skiff/kernel/plugins';
import { CriRuntimeToken, managedByNode, MANAGED_BY } from '@skiff/node-api';
import { answerScrapes, type NodeUsage } from '@skiff/plugin-metrics-server/protocol';
import { ContainerRates } from './containers.ts';
import { NodeSampler } from './proc.ts';

export interface KubeletMetricsConfig {
  /** where /proc is (tests) */
  procRoot: string;
}

export default definePlugin<KubeletMetricsConfig>({
  name: 'kubelet-metrics',
  version: '0.1.0',
  type: PluginTypes.Node,
  requires: [PluginTypes.CRI],
  configSchema: { type: 'object', additionalProperties: false, properties: { procRoot: { type: 'string', default: '/proc' } } },
  async start(ctx) {
    const nc = ctx.tryResolve(NatsToken);
    const nodeName = ctx.tryResolve(NodeNameToken);
    if (!nc || !nodeName) throw new Error('kubelet-metrics runs in a node agent: it needs the NATS connection and the node name');
    ctx.resolve(CriRuntimeToken); // fail now when no CRI plugin runs
    const node = new NodeSampler(ctx.config.procRoot);
    const rates = new ContainerRates();
    // the CRI plugin may be reloaded: ask for the current one at each scrape
    const containerStats = () => ctx.resolve(CriRuntimeToken).listContainerStats({ labelSelector: { [MANAGED_BY]: managedByNode(nodeName) } });
    const collect = async (): Promise<NodeUsage[]> => {
      const [n, stats] = await Promise.all([node.sample(), containerStats()]);
      const pods = rates.pods(stats);
      if (n.cpuNanoCores === undefined) return []; // the first sample: no rate yet
      return [{ node: nodeName, timestampMs: n.timestampMs, windowSeconds: n.windowSeconds!, cpuNanoCores: n.cpuNanoCores, memoryWorkingSetBytes: n.memoryWorkingSetBytes, pods }];
    };
    // a first sample now, so the first scrape already has rates
    await collect().catch((e) => ctx.logger.warn('first usage sample failed', { error: String(e) }));
    const responder = answerScrapes(nc, collect, (e) => ctx.logger.warn('usage report failed', { error: e instanceof Error ? e.message : String(e) }));
    return { stop: () => responder.stop() };
  },
});
