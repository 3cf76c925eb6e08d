// Node IPAM (type skiff.io/controller): gives every Node a pod CIDR from the cluster CIDR, like
// kube-controller-manager's node IPAM range allocator (`--cluster-cidr`, `--node-cidr-mask-size`),
// on the controller kit: it acts only while its process leads on the controllers' Lease (so two
// servers never hand out blocks at once), and rebuilds its allocator from the Nodes when it starts
// leading. See controller.ts for the behaviour.
import { defineController } from '@skiff/client';
import { NODES, setupNodeIpam, type NodeIpamConfig } from './controller.ts';

export type { NodeIpamConfig };

/** The controller's own settings (the kit adds workers, leaderElection and leaseDurationSeconds). */
export const configSchema = {
  type: 'object',
  properties: {
    clusterCIDR: { type: 'string', minLength: 9, default: '10.244.0.0/16' },
    nodeCIDRMaskSize: { type: 'integer', minimum: 1, maximum: 32, default: 24 },
    retrySeconds: { type: 'number', exclusiveMinimum: 0, default: 10 },
  },
  additionalProperties: false,
};

export default defineController<NodeIpamConfig>({
  name: 'node-ipam',
  version: '0.2.0',
  for: NODES,
  // allocations are decided in memory before each write, so workers never hand out one block twice;
  // one keeps blocks handed out in the order nodes appear
  workers: 1,
  configSchema,
  setup: setupNodeIpam,
});
