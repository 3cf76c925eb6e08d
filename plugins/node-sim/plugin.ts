// The node-sim plugin (type skiff.io/cri): hollow nodes for scale tests, run by a plugin host —
// in the server's process, or out of process over the kernel bus (see `skiff sim`) — and the CRI
// runtime of a simulated node: it provides CriRuntimeToken with the in-memory runtime of
// @skiff/node-api/testing, so a kubelet plugin in the same host runs its real pod lifecycle on it
// (a hollow kubelet node, as kubemark's). With `nodes: 0` it is only that runtime.
import { definePlugin, NatsToken } from '@skiff/kernel/plugins';
import { CriRuntimeToken, type CriMethod } from '@skiff/node-api';
import { configSchema, expandNodes, type HollowNodesConfig } from './config.ts';
import { HollowNodes } from './hollow.ts';
import { acquireRuntime } from './runtime-holder.ts';

export default definePlugin<HollowNodesConfig>({
  name: 'node-sim',
  version: '0.1.0',
  type: 'skiff.io/cri',
  provides: [CriRuntimeToken],
  configSchema,
  async start(ctx) {
    const r = ctx.config.runtime ?? {};
    const held = acquireRuntime(ctx.name, {
      latencyMs: r.latencyMs as Partial<Record<CriMethod, number>> | undefined,
      podCIDR: r.podCIDR,
      waitForPodCIDR: r.waitForPodCIDR,
      defaultImageSize: r.imageSizeBytes,
      runtimeName: 'hollow',
      recordCalls: false,
    });
    let nodes: HollowNodes | undefined;
    try {
      if (expandNodes(ctx.config).length > 0) {
        // with the process's NATS connection, the hollow nodes answer the metrics-server's scrapes
        nodes = new HollowNodes(ctx.kernel, ctx.config, ctx.logger, { nats: ctx.tryResolve(NatsToken) });
        await nodes.start();
      }
    } catch (e) {
      held.release();
      throw e;
    }
    ctx.provide(CriRuntimeToken, held.runtime);
    const report = setInterval(() => ctx.reportRuntime({ ...nodes?.stats(), runtime: { calls: held.runtime.callCount, ...held.runtime.network } }), 2_000);
    report.unref();
    return {
      async stop() {
        clearInterval(report);
        await nodes?.stop();
        held.release();
      },
    };
  },
});
