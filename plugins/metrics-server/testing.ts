// Test helpers: a real kernel on a real nats-server, a plugin host with the process's NATS
// connection (as skiff server has), the metrics-server plugin (and any other plugins) in it, and
// hollow nodes (node-sim, in process) that answer its scrapes from the pods' usage annotations.
import { NODES, PODS, type KObject } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { createConsoleLogger, NatsToken, PluginHost, type PluginDescriptor } from '@skiff/kernel/plugins';
import { startTestKernel, eventually, sleep, type TestKernel } from '@skiff/kernel/testing';
import { CPU_USAGE_ANNOTATION, HollowNodes, MEMORY_USAGE_ANNOTATION } from '@skiff/plugin-node-sim';
import metricsServer from './plugin.ts';

export { eventually, sleep };

export interface MetricsEnv {
  t: TestKernel;
  kernel: Kernel;
  host: PluginHost;
  sim: HollowNodes;
  warnings: string[];
  stop(): Promise<void>;
}

export interface MetricsEnvOptions {
  /** metrics-server resolution in seconds (default 0.2) */
  resolution?: number;
  /** hollow nodes (default 2) */
  nodes?: number;
  /** more plugins to run in the same host (controllers under test), with their config */
  plugins?: { descriptor: PluginDescriptor; config?: Record<string, unknown> }[];
}

export async function startMetricsEnv(o: MetricsEnvOptions = {}): Promise<MetricsEnv> {
  const t = await startTestKernel();
  const warnings: string[] = [];
  const logger = createConsoleLogger({ level: 'warn', write: (line) => void warnings.push(line) });
  const host = new PluginHost({ kernel: t.kernel, logger });
  host.root.register(NatsToken, { useValue: t.nc });
  const sim = new HollowNodes(t.kernel, { nodes: o.nodes ?? 2, prefix: 'hollow', cpu: '4', memory: '16Gi', leaseIntervalSeconds: 5, nodeStatusIntervalSeconds: 0 }, logger, { nats: t.nc });
  await sim.start();
  await host.load([{ descriptor: metricsServer, config: { resolution: o.resolution ?? 0.2 } }, ...(o.plugins ?? [])]);
  return {
    t,
    kernel: t.kernel,
    host,
    sim,
    warnings,
    async stop() {
      await host.stopAll();
      await sim.stop({ deleteNodes: false });
      await t.stop();
    },
  };
}

export interface UsagePod {
  name: string;
  namespace?: string;
  node: string;
  labels?: Record<string, string>;
  /** per container: name and cpu/memory requests */
  containers?: { name: string; cpu?: string; memory?: string }[];
  cpuUsage?: string;
  memoryUsage?: string;
}

/** A pod bound to a hollow node (it becomes Running), with usage annotations. */
export function usagePod(p: UsagePod): KObject {
  const annotations: Record<string, string> = {};
  if (p.cpuUsage !== undefined) annotations[CPU_USAGE_ANNOTATION] = p.cpuUsage;
  if (p.memoryUsage !== undefined) annotations[MEMORY_USAGE_ANNOTATION] = p.memoryUsage;
  const containers = p.containers ?? [{ name: 'app', cpu: '100m', memory: '64Mi' }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace ?? 'default', labels: p.labels ?? {}, annotations },
    spec: {
      nodeName: p.node,
      containers: containers.map((c) => ({
        name: c.name,
        image: 'registry.example/app:1',
        resources: { requests: { ...(c.cpu ? { cpu: c.cpu } : {}), ...(c.memory ? { memory: c.memory } : {}) } },
      })),
    },
  };
}

/** Set a pod's usage annotations (a merge patch). */
export async function setUsage(kernel: Kernel, ns: string, name: string, cpu: string, memory?: string): Promise<void> {
  const annotations: Record<string, string> = { [CPU_USAGE_ANNOTATION]: cpu };
  if (memory !== undefined) annotations[MEMORY_USAGE_ANNOTATION] = memory;
  await kernel.patch(PODS, ns, name, 'merge', { metadata: { annotations } });
}

export { NODES, PODS };
