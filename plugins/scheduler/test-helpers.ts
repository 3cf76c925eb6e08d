// Shared by the scheduler's tests (and handy for policy tests): Node and Pod objects, written the way
// a node agent and a user would, and a watch that records bindings.
import { eventually } from '@skiff/kernel/testing';
import type { Kernel, KObject, ResourceRef, Watch } from '@skiff/kernel';

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };
export const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events' };

export interface NodeSpec {
  labels?: Record<string, string>;
  allocatable?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
}

/** Create a Node and write its status (status is not kept on create). */
export async function createNode(kernel: Kernel, name: string, s: NodeSpec = {}): Promise<KObject> {
  const spec: Record<string, unknown> = {};
  if (s.taints) spec.taints = s.taints;
  if (s.unschedulable) spec.unschedulable = true;
  const node = await kernel.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: s.labels ?? {} }, spec });
  const alloc = s.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110' };
  return kernel.update(NODES, { ...node, status: { allocatable: alloc, capacity: alloc } }, { subresource: 'status' });
}

export interface PodSpecLite {
  cpu?: string;
  memory?: string;
  priority?: number;
  schedulerName?: string;
  labels?: Record<string, string>;
  namespace?: string;
}

export function podObject(name: string, s: PodSpecLite = {}): KObject {
  const requests: Record<string, string> = {};
  if (s.cpu) requests.cpu = s.cpu;
  if (s.memory) requests.memory = s.memory;
  const spec: Record<string, unknown> = { containers: [{ name: 'c', image: 'pause', resources: { requests } }] };
  if (s.priority !== undefined) spec.priority = s.priority;
  if (s.schedulerName) spec.schedulerName = s.schedulerName;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: s.namespace ?? 'default', labels: s.labels ?? {} }, spec };
}

export function createPod(kernel: Kernel, name: string, s: PodSpecLite = {}): Promise<KObject> {
  return kernel.create(PODS, podObject(name, s));
}

/** Records every binding a watch on pods shows: pod name -> node names it was bound to, in order. */
export class BindingRecorder {
  readonly bindings = new Map<string, string[]>();
  /** bindings in the order seen */
  readonly order: string[] = [];
  private watch: Watch;
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(kernel: Kernel, resourceVersion?: string) {
    const watch = kernel.watch(PODS, resourceVersion ? { resourceVersion } : {});
    this.watch = watch;
    void (async () => {
      for await (const ev of watch) {
        if (ev.type === 'DELETED' || ev.type === 'ERROR' || ev.type === 'BOOKMARK') continue;
        const nodeName = (ev.object.spec as { nodeName?: string } | undefined)?.nodeName;
        if (!nodeName) continue;
        const name = ev.object.metadata.name!;
        const list = this.bindings.get(name) ?? [];
        if (list[list.length - 1] === nodeName) continue; // a later update of a bound pod
        list.push(nodeName);
        this.bindings.set(name, list);
        this.order.push(name);
        for (const w of [...this.waiters]) if (this.bindings.size >= w.n) w.resolve();
      }
    })();
  }

  /** Resolves once `n` distinct pods have been seen bound (rejects after timeoutMs). */
  waitFor(n: number, timeoutMs = 20_000): Promise<void> {
    if (this.bindings.size >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out: ${this.bindings.size}/${n} pods bound`)), timeoutMs);
      this.waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  stop(): void {
    this.watch.stop();
  }
}

export { sleep } from '@skiff/kernel/testing';

export { eventually };
