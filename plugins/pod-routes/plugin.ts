// The pod-routes plugin (type skiff.io/pod-routes, node side): the cross-node pod network the way
// flannel's host-gw backend does it — no overlay, no encapsulation: on every node, a route to each
// other node's pod CIDR via that node's InternalIP (the nodes share a link, as they do here). It
// watches the Nodes (spec.podCIDR(s) from node IPAM, status.addresses from each agent) and keeps
// the routes it made (tagged `proto <n>`) equal to what they say: added as nodes come, changed as
// addresses change, removed as nodes go. Masquerade stays with the network plugin (cni-bridge's
// `pod-nat-postrouting`): only traffic leaving the cluster CIDR is masqueraded, so pods see each
// other's own addresses across nodes.
import { hostname } from 'node:os';
import { NODES, type Node } from '@skiff/api';
import { SharedInformerFactory } from '@skiff/client';
import { definePlugin, NodeNameToken } from '@skiff/kernel/plugins';
import { RouteSyncer } from './route-syncer.ts';
import { RouteTable } from './route-table.ts';

export interface PodRoutesConfig {
  /** this node's Node object (default: the agent's node name, else the host name) */
  nodeName?: string;
  /** the protocol number that tags this plugin's routes */
  routeProtocol: number;
  /** run `ip` in this named network namespace (tests) */
  netns?: string;
  /** re-check the routes this often (seconds; 0: only on changes) */
  resyncSeconds: number;
}

export const configSchema = {
  type: 'object',
  properties: {
    nodeName: { type: 'string', minLength: 1 },
    routeProtocol: { type: 'integer', minimum: 5, maximum: 255, default: 120 },
    netns: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    resyncSeconds: { type: 'number', minimum: 0, default: 60 },
  },
  additionalProperties: false,
};

export default definePlugin<PodRoutesConfig>({
  name: 'pod-routes',
  version: '0.1.0',
  type: 'skiff.io/pod-routes',
  configSchema,
  start(ctx) {
    const { config, logger } = ctx;
    const nodeName = config.nodeName ?? ctx.tryResolve(NodeNameToken) ?? hostname().toLowerCase();
    const syncer = new RouteSyncer({
      table: new RouteTable({ protocol: config.routeProtocol, ...(config.netns ? { netns: config.netns } : {}) }),
      nodeName,
      logger,
      resyncSeconds: config.resyncSeconds,
      onSync: (routes) => ctx.reportRuntime({ node: nodeName, routes: routes.map((r) => `${r.dst} via ${r.via}`), syncs: syncer.syncs }),
      onFailure: (failures) =>
        ctx.recordEvent({ type: 'Warning', reason: 'RouteFailed', message: failures.map((f) => `${f.command}: ${f.error}`).join('; ') }),
    });
    const factory = SharedInformerFactory.for(ctx.kernel, logger);
    const nodes = factory.acquire<Node>(NODES);
    const off = nodes.informer.addEventHandler({ onAdd: (n) => syncer.setNode(n), onUpdate: (_, n) => syncer.setNode(n), onDelete: (n) => syncer.deleteNode(n) });
    // the first sync waits for the full list: one from half the Nodes would remove the others' routes
    void nodes.informer.synced.then(
      () => ctx.signal.aborted || syncer.start(),
      (e: unknown) => logger.error('pod routes: the node informer failed to sync', { error: String(e) }),
    );
    logger.info('pod routes: routing the other nodes\' pod CIDRs via their InternalIP', { node: nodeName, netns: config.netns });
    return {
      async stop() {
        off();
        nodes.release();
        await syncer.stop();
      },
    };
  },
});
