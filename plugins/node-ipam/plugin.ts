// Node IPAM (type skiff.io/controller): gives every Node a pod CIDR from the cluster CIDR, like
// kube-controller-manager's node IPAM range allocator (`--cluster-cidr`, `--node-cidr-mask-size`).
// See controller.ts for the behaviour.
//
// Run one instance per cluster: like kube-controller-manager's allocator, it keeps the used blocks
// in memory and relies on being the only writer of podCIDRs (kube ensures that by leader election).
import { EventRecorder } from '@skiff/client';
import { definePlugin } from '@skiff/kernel/plugins';
import { BlockSet } from './cidr.ts';
import { NodeIpamController } from './controller.ts';

export interface NodeIpamConfig {
  /** the range pod CIDRs are cut from (kube: --cluster-cidr) */
  clusterCIDR: string;
  /** prefix length of each node's block (kube: --node-cidr-mask-size) */
  nodeCIDRMaskSize: number;
  /** how often nodes that could not get a block are tried again */
  retrySeconds: number;
}

export const configSchema = {
  type: 'object',
  properties: {
    clusterCIDR: { type: 'string', minLength: 9, default: '10.244.0.0/16' },
    nodeCIDRMaskSize: { type: 'integer', minimum: 1, maximum: 32, default: 24 },
    retrySeconds: { type: 'number', exclusiveMinimum: 0, default: 10 },
  },
  additionalProperties: false,
};

export default definePlugin<NodeIpamConfig>({
  name: 'node-ipam',
  version: '0.1.0',
  type: 'skiff.io/controller',
  configSchema,
  async start(ctx) {
    const { kernel, logger, config } = ctx;
    new BlockSet(config.clusterCIDR, config.nodeCIDRMaskSize); // a bad config fails the start, with the reason
    const events = new EventRecorder(kernel, 'node-ipam', logger);
    const controller = new NodeIpamController(
      kernel,
      { clusterCIDR: config.clusterCIDR, nodeCIDRMaskSize: config.nodeCIDRMaskSize, retryMs: config.retrySeconds * 1000, component: 'node-ipam' },
      logger,
      {
        nodeEvent: (node, ev) => events.record(node, ev),
        pluginEvent: (ev) => ctx.recordEvent(ev),
        runtime: (stats) => ctx.reportRuntime(stats),
      },
    );
    await controller.start();
    logger.info('node IPAM started', {
      clusterCIDR: config.clusterCIDR,
      nodeCIDRMaskSize: config.nodeCIDRMaskSize,
      blocks: controller.allocator.size,
      used: controller.allocator.used,
    });
    const halt = async () => {
      await controller.stop();
      await events.stop();
    };
    return { drain: halt, stop: halt };
  },
});
