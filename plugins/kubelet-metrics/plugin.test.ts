// The agent side end to end (without a kubelet): kubelet-metrics with the containerd CRI plugin in
// one plugin host (as `skiff agent` runs them), metrics-server in another (as `skiff server`), over
// one NATS: the node's usage from /proc reaches NodeMetrics.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NODE_METRICS, NODES } from '@skiff/api';
import { createConsoleLogger, NatsToken, NodeNameToken, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import criContainerd from '@skiff/plugin-cri-containerd/plugin';
import metricsServer from '@skiff/plugin-metrics-server/plugin';
import { containerdAt, describeNeeding } from '../../scripts/test-parts.ts';
import kubeletMetrics from './plugin.ts';

const SOCKET = process.env.SKIFF_CRI_SOCKET ?? '/run/containerd/containerd.sock';

describeNeeding(['root', containerdAt(SOCKET)], 'kubelet-metrics in an agent plugin host', (missing) => {
  let t: TestKernel;
  let server: PluginHost;
  let agent: PluginHost;
  const warnings: string[] = [];
  beforeAll(async () => {
    if (missing()) return;
    t = await startTestKernel();
    const logger = createConsoleLogger({ level: 'warn', write: (l) => void warnings.push(l) });
    server = new PluginHost({ kernel: t.kernel, logger });
    server.root.register(NatsToken, { useValue: t.nc });
    await server.load([{ descriptor: metricsServer, config: { resolution: 0.3 } }]);
    agent = new PluginHost({ kernel: t.kernel, logger });
    agent.root.register(NatsToken, { useValue: t.nc });
    agent.root.register(NodeNameToken, { useValue: 'agent-node' });
    await agent.load([{ descriptor: criContainerd, config: { socket: SOCKET } }, { descriptor: kubeletMetrics, config: {} }]);
    await t.kernel.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'agent-node', labels: { role: 'agent' } } });
  }, 60_000);
  afterAll(async () => {
    await agent?.stopAll();
    await server?.stopAll();
    await t?.stop();
  });

  it('reports the node usage from /proc as NodeMetrics', async () => {
    const m = (await eventually(() => t.kernel.get(NODE_METRICS, undefined, 'agent-node').catch(() => undefined), 15_000, 'NodeMetrics of agent-node')) as Record<string, any>;
    expect(m.metadata.labels).toEqual({ role: 'agent' });
    expect(m.usage.cpu).toMatch(/^\d+(n|u|m)?$/);
    expect(m.usage.memory).toMatch(/^\d+(Ki|Mi|Gi)?$/);
    expect(m.window).toMatch(/s$/);
    expect(warnings).toEqual([]);
  });
});
