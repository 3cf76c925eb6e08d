// Shared by the scheduler integration tests: a real kernel with the real scheduler plugin and every
// default policy plugin loaded through a real PluginHost, plus Nodes (written directly, as a node
// agent would, or simulated by HollowNodes), Pods, and polling helpers.
import type { Kernel, KObject, ResourceRef } from '@skiff/kernel';
import { PluginHost, silentLogger, type LoadRequest, type PluginDescriptor } from '@skiff/kernel/plugins';
import { HollowNodes, type NodeGroup } from '@skiff/plugin-node-sim';
import schedulerPlugin from '@skiff/plugin-scheduler';
import { defaultPolicyPlugins } from '@skiff/scheduler-policies';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };
export const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events' };
export const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces' };

import { sleep } from '@skiff/kernel/testing';
export { sleep };

/** Poll `fn` until it returns a truthy value; throw after `ms`. */
export function until<T>(fn: () => Promise<T | undefined | false | null> | T | undefined | false | null, what: string, ms = 30_000, pollMs = 50): Promise<T> {
  return eventually(fn, ms, what, pollMs);
}

export interface Cluster {
  tk: TestKernel;
  kernel: Kernel;
  host: PluginHost;
  sims: HollowNodes[];
  stop(): Promise<void>;
}

/** A fresh kernel with the scheduler and all default policy plugins (plus `extra`) loaded by a real PluginHost. */
export async function startCluster(extra: (PluginDescriptor | LoadRequest)[] = []): Promise<Cluster> {
  const tk = await startTestKernel();
  const host = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
  await host.load([{ descriptor: schedulerPlugin, config: { leaderElection: false } }, ...Object.values(defaultPolicyPlugins), ...extra]);
  const sims: HollowNodes[] = [];
  return {
    tk,
    kernel: tk.kernel,
    host,
    sims,
    async stop() {
      for (const s of sims) await s.stop().catch(() => {});
      await host.stop().catch(() => {});
      await tk.stop();
    },
  };
}

export interface NodeOpts {
  labels?: Record<string, string>;
  /** allocatable = capacity; default cpu 4, memory 8Gi, pods 110 */
  allocatable?: Record<string, string>;
  taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
}

/** A Node written the way a node agent registers one: create, then its status (allocatable, Ready). */
export async function addNode(kernel: Kernel, name: string, o: NodeOpts = {}): Promise<KObject> {
  const spec: Record<string, unknown> = {};
  if (o.taints) spec.taints = o.taints;
  if (o.unschedulable) spec.unschedulable = true;
  const node = await kernel.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec,
  });
  const alloc = { cpu: '4', memory: '8Gi', pods: '110', ...(o.allocatable ?? {}) };
  return kernel.update(
    NODES,
    {
      ...node,
      status: {
        allocatable: alloc,
        capacity: alloc,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }],
        ...(o.images ? { images: o.images } : {}),
      },
    },
    { subresource: 'status' },
  );
}

/** Hollow nodes (simulated kubelets that run bound pods and finish graceful deletions). */
export async function addHollowNodes(c: Cluster, groups: NodeGroup[], prefix = 'hollow'): Promise<HollowNodes> {
  const sim = new HollowNodes(c.kernel, { groups, prefix, leaseIntervalSeconds: 30, nodeStatusIntervalSeconds: 0 });
  c.sims.push(sim);
  await sim.start();
  return sim;
}

export interface PodOpts {
  namespace?: string;
  labels?: Record<string, string>;
  /** container requests, e.g. {cpu: '1', memory: '1Gi', 'example.com/gpu': '1'} */
  requests?: Record<string, string>;
  /** container limits (extended resources must be given as limits, or requests == limits) */
  limits?: Record<string, string>;
  /** extra spec fields (nodeSelector, affinity, tolerations, priority, ...) */
  spec?: Record<string, unknown>;
  /** container fields (ports, ...) */
  container?: Record<string, unknown>;
  image?: string;
}

export function podObject(name: string, o: PodOpts = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', labels: o.labels ?? {} },
    spec: {
      containers: [{ name: 'c', image: o.image ?? 'registry.example/app:1.0', resources: { requests: o.requests ?? {}, ...(o.limits ? { limits: o.limits } : {}) }, ...(o.container ?? {}) }],
      ...(o.spec ?? {}),
    },
  };
}

export function createPod(kernel: Kernel, name: string, o: PodOpts = {}): Promise<KObject> {
  return kernel.create(PODS, podObject(name, o));
}

export const nodeNameOf = (p: KObject): string | undefined => (p.spec as { nodeName?: string } | undefined)?.nodeName;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export const podScheduledOf = (p: KObject): Condition | undefined =>
  ((p.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'PodScheduled');

/** Wait until the pod is bound; returns its node. */
export async function boundNode(kernel: Kernel, name: string, ns = 'default', ms = 30_000): Promise<string> {
  return until(async () => nodeNameOf(await kernel.get(PODS, ns, name)), `pod ${ns}/${name} to be bound`, ms);
}

/** Wait until every named pod is bound; returns name -> node. */
export async function boundNodes(kernel: Kernel, names: string[], ns = 'default', ms = 30_000): Promise<Record<string, string>> {
  return until(
    async () => {
      const { items } = await kernel.list(PODS, { namespace: ns });
      const byName = new Map(items.map((p) => [p.metadata.name!, nodeNameOf(p)]));
      const out: Record<string, string> = {};
      for (const n of names) {
        const node = byName.get(n);
        if (!node) return undefined;
        out[n] = node;
      }
      return out;
    },
    `pods ${names.join(', ')} to be bound`,
    ms,
  );
}

/** Wait until the pod carries PodScheduled=False with reason Unschedulable (and, if given, a message matching). */
export async function unschedulable(kernel: Kernel, name: string, ns = 'default', message?: string | RegExp | ((m: string) => boolean), ms = 30_000): Promise<{ pod: KObject; condition: Condition }> {
  let seen = '';
  return until(
    async () => {
      const pod = await kernel.get(PODS, ns, name);
      const c = podScheduledOf(pod);
      seen = JSON.stringify(c);
      if (!c || c.status !== 'False' || c.reason !== 'Unschedulable') return undefined;
      const m = c.message ?? '';
      if (message !== undefined && !(typeof message === 'string' ? m === message : typeof message === 'function' ? message(m) : message.test(m))) return undefined;
      return { pod, condition: c };
    },
    `pod ${ns}/${name} to be Unschedulable${message ? ` with message ${String(message)}` : ''} (condition: ${seen || 'none'})`,
    ms,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}; last PodScheduled condition: ${seen || 'none'}`);
  });
}

/** The FailedScheduling Events about the pod (waits until there is one). */
export async function failedSchedulingEvents(kernel: Kernel, name: string, ns = 'default', ms = 30_000): Promise<KObject[]> {
  return until(
    async () => {
      const { items } = await kernel.list(EVENTS, { namespace: ns });
      const mine = items.filter((e) => (e.involvedObject as { name?: string; kind?: string })?.name === name && (e.involvedObject as { kind?: string }).kind === 'Pod' && e.reason === 'FailedScheduling');
      return mine.length ? mine : undefined;
    },
    `a FailedScheduling event for ${ns}/${name}`,
    ms,
  );
}

/** Assert-style check that an unschedulable pod stays unbound for a while (a negative must be given time). */
export async function staysUnbound(kernel: Kernel, name: string, ns = 'default', ms = 1500): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (nodeNameOf(await kernel.get(PODS, ns, name))) return false;
    await sleep(100);
  }
  return true;
}

/** Count pods per node among `names` (or all pods of the namespace). */
export async function placement(kernel: Kernel, ns = 'default', filter: (p: KObject) => boolean = () => true): Promise<Record<string, number>> {
  const { items } = await kernel.list(PODS, { namespace: ns });
  const out: Record<string, number> = {};
  for (const p of items) {
    if (!filter(p)) continue;
    const n = nodeNameOf(p) ?? '<none>';
    out[n] = (out[n] ?? 0) + 1;
  }
  return out;
}

/** One "0/N nodes are available: ..." sentence as kube-scheduler writes it: `count reason` parts in sort.Strings order. */
export function nodesAvailable(numNodes: number, histogram: Record<string, number>): string {
  const parts = Object.entries(histogram).map(([reason, n]) => `${n} ${reason}`);
  parts.sort(); // Go's sort.Strings: byte order
  return `0/${numNodes} nodes are available: ${parts.join(', ')}.`;
}

export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';

/** kube-scheduler's FitError message, with DefaultPreemption's outcome appended when given. */
export function fitMessage(numNodes: number, filter: Record<string, number>, preemption?: Record<string, number>): string {
  return nodesAvailable(numNodes, filter) + (preemption ? ` preemption: ${nodesAvailable(numNodes, preemption)}` : '');
}

/**
 * The same message with the parts of each "0/N nodes are available:" sentence sorted, so two
 * messages that count the same reasons compare equal whatever order they list them in (the order
 * itself is asserted separately).
 */
export function canonicalFitMessage(msg: string): string {
  return msg.replace(/(0\/\d+ nodes are available: )(.*?)\.(?= preemption: |$)/g, (_m, head: string, body: string) => head + body.split(', ').sort().join(', ') + '.');
}
