// The node-streams plugin (type skiff.io/node, in `skiff agent`): serves `kubectl logs` and
// `kubectl exec` for the pods of this node over NATS (protocol.ts), from the CRI runtime.
import { definePlugin, NatsToken, NodeNameToken, PluginTypes } from '@skiff/kernel/plugins';
import { CriRuntimeToken, type CriRuntime } from '@skiff/node-api';
import { serveNodeStreams } from './serve.ts';

export default definePlugin<Record<string, never>>({
  name: 'node-streams',
  version: '0.1.0',
  type: PluginTypes.Node,
  requires: [PluginTypes.CRI],
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  async start(ctx) {
    const nc = ctx.tryResolve(NatsToken);
    const nodeName = ctx.tryResolve(NodeNameToken);
    if (!nc || !nodeName) throw new Error('node-streams runs in a node agent: it needs the NATS connection and the node name');
    ctx.resolve(CriRuntimeToken); // fails now, not at the first request, when no CRI plugin runs
    // the CRI plugin may be reloaded: use whichever client it provides at the time of each call
    const cri = new Proxy({} as CriRuntime, {
      get: (_t, key) => {
        const current = ctx.resolve(CriRuntimeToken) as unknown as Record<PropertyKey, unknown>;
        const v = current[key];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(current) : v;
      },
    });
    const server = serveNodeStreams({ nc, nodeName, cri, logger: ctx.logger });
    return {
      drain: () => server.drain(),
      stop: () => server.stop(),
    };
  },
});
