// The node-streams plugin's API-server half (type skiff.io/api, in `skiff server`): provides the
// PodStreams service (PodStreamsToken) over the server's NATS connection, so the API front ends
// (REST, gRPC) reach the node agents' streams without knowing the transport.
import { definePlugin, NatsToken } from '@skiff/kernel/plugins';
import { PodStreamsToken } from '@skiff/client/api-frontend';
import { natsPodStreams } from './client.ts';

export const podStreamsPlugin = definePlugin<Record<string, never>>({
  name: 'pod-streams',
  version: '0.1.0',
  type: 'skiff.io/api',
  provides: [PodStreamsToken],
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  async start(ctx) {
    const nc = ctx.tryResolve(NatsToken);
    if (!nc) throw new Error('pod-streams needs the NATS connection the node agents listen on');
    ctx.provide(PodStreamsToken, natsPodStreams(nc));
    return { stop() {} };
  },
});

export default podStreamsPlugin;
