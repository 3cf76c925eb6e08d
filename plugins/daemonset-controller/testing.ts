// Test helpers: Ready nodes as Node objects, DaemonSets, and a stand-in for the scheduler and the
// kubelets (no kubelet runs in these tests): it binds daemon pods to the node their affinity names,
// marks bound pods Running and Ready (as `ready` allows), and finishes graceful deletions.
import { rfc3339, DAEMON_SETS, NODES, PODS, isConflict, isNotFound, type DaemonSet, type Node, type Pod, type Taint } from '@skiff/api';
import { SharedInformer } from '@skiff/client';
import { eventually, type TestKernel } from '@skiff/kernel/testing';
import type { Kernel } from '@skiff/kernel';
import { targetNodeName } from './pod-template.ts';


export async function createReadyNode(kernel: Kernel, name: string, opts: { labels?: Record<string, string>; taints?: Taint[] } = {}): Promise<Node> {
  const alloc = { cpu: '8', memory: '16Gi', pods: '110' };
  return (await kernel.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(opts.labels ?? {}) } },
    spec: opts.taints ? { taints: opts.taints } : {},
    status: {
      capacity: alloc,
      allocatable: alloc,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: rfc3339(), lastTransitionTime: rfc3339() }],
    },
  })) as Node;
}

/** Change a node (labels, taints) with a fresh read. */
export async function editNode(kernel: Kernel, name: string, edit: (n: Node) => void): Promise<Node> {
  for (;;) {
    const n = structuredClone((await kernel.get(NODES, undefined, name)) as Node);
    edit(n);
    try {
      return (await kernel.update(NODES, n)) as Node;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
}

export async function editDaemonSet(kernel: Kernel, ns: string, name: string, edit: (d: DaemonSet) => void): Promise<DaemonSet> {
  for (;;) {
    const d = structuredClone((await kernel.get(DAEMON_SETS, ns, name)) as DaemonSet);
    edit(d);
    try {
      return (await kernel.update(DAEMON_SETS, d)) as DaemonSet;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
}

export function daemonSet(name: string, opts: Partial<NonNullable<DaemonSet['spec']>> & { image?: string; namespace?: string } = {}): DaemonSet {
  const { image, namespace, ...spec } = opts;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: namespace ?? 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: image ?? 'agent:1' }] } },
      ...spec,
    },
  };
}

/** The DaemonSet's pods (from the kernel), not being deleted unless `all`. */
export async function podsOf(kernel: Kernel, ds: string, all = false, ns = 'default'): Promise<Pod[]> {
  const list = (await kernel.list(PODS, { namespace: ns, labelSelector: `app=${ds}` })).items as Pod[];
  return all ? list : list.filter((p) => !p.metadata.deletionTimestamp);
}

/** Mark a pod Running and Ready (as its kubelet would). */
export async function makeReady(kernel: Kernel, pod: Pod): Promise<void> {
  const now = rfc3339();
  const status = {
    ...(pod.status ?? {}),
    phase: 'Running' as const,
    conditions: [
      { type: 'PodScheduled', status: 'True' as const, lastTransitionTime: now },
      { type: 'Initialized', status: 'True' as const, lastTransitionTime: now },
      { type: 'ContainersReady', status: 'True' as const, lastTransitionTime: now },
      { type: 'Ready', status: 'True' as const, lastTransitionTime: now },
    ],
    startTime: now,
  };
  await kernel.update(PODS, { ...pod, status }, { subresource: 'status' });
}

export interface FakeNodes {
  /** which bound pods become Ready (default: all) */
  ready: (pod: Pod) => boolean;
  /** look at every pod again (after changing `ready`) */
  poke(): void;
  stop(): void;
}

/** Bind, ready and finish deletions of pods, as the scheduler (if `bind`) and kubelets would. */
export async function fakeNodes(kernel: Kernel, opts: { bind?: boolean } = {}): Promise<FakeNodes> {
  const inf = new SharedInformer<Pod>(kernel, PODS);
  const busy = new Set<string>();
  const again = new Set<string>();
  const fake: FakeNodes = { ready: () => true, poke: () => inf.indexer.list().forEach(handle), stop: () => inf.stop() };
  const ignore = (e: unknown) => {
    if (!isNotFound(e) && !isConflict(e)) throw e;
  };
  async function act(pod: Pod): Promise<void> {
    const { namespace, name } = pod.metadata;
    if (pod.metadata.deletionTimestamp) {
      if (pod.spec?.nodeName) await kernel.delete(PODS, namespace, name!, { gracePeriodSeconds: 0 }).catch(ignore);
      return;
    }
    if (!pod.spec?.nodeName) {
      const node = targetNodeName(pod);
      if (opts.bind && node) {
        await kernel
          .create(PODS, { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { kind: 'Node', name: node } } as never, { subresource: 'binding' })
          .catch(ignore);
      }
      return;
    }
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready && pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded' && fake.ready(pod)) await makeReady(kernel, pod).catch(ignore);
  }
  function handle(pod: Pod): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (busy.has(key)) {
      again.add(key);
      return;
    }
    busy.add(key);
    void act(pod)
      .catch(() => {})
      .finally(() => {
        busy.delete(key);
        if (again.delete(key)) {
          const cur = inf.indexer.get(key);
          if (cur) handle(cur);
        }
      });
  }
  inf.addEventHandler({ onAdd: handle, onUpdate: (_o, p) => handle(p) });
  await inf.start();
  return fake;
}

/** Wait until `fn` holds, with a longer default for cluster-wide convergence. */
export const converge = <T>(fn: () => Promise<T | undefined | false | null>, what: string, ms = 15_000) => eventually(fn, ms, what, 50);

export type { TestKernel };
