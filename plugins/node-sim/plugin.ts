// The node-sim plugin (type skiff.io/cri): hollow nodes for scale tests, run by a plugin host —
// in the server's process, or out of process over the kernel bus (see `skiff sim`).
import { definePlugin, NatsToken } from '@skiff/kernel/plugins';
import { configSchema, type HollowNodesConfig } from './config.ts';
import { HollowNodes } from './hollow.ts';

export default definePlugin<HollowNodesConfig>({
  name: 'node-sim',
  version: '0.1.0',
  type: 'skiff.io/cri',
  configSchema,
  async start(ctx) {
    // with the process's NATS connection, the hollow nodes answer the metrics-server's scrapes
    const nodes = new HollowNodes(ctx.kernel, ctx.config, ctx.logger, { nats: ctx.tryResolve(NatsToken) });
    await nodes.start();
    return { stop: () => nodes.stop() };
  },
});
