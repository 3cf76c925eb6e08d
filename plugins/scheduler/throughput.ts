// A quick throughput check of the scheduler (not a test, not the benchmark): a real kernel on a
// temp nats-server, N Node objects created directly, M pending pods, then the scheduler started
// with two tiny policies (a resource-fit filter and a least-allocated scorer); pods/s is measured
// from the first bind to the last one, as seen by a watch.
//
//   node --import tsx plugins/scheduler/throughput.ts [--nodes 2000] [--pods 5000] [--parallel 256]
//        [--percentage 0] [--bind kernel|noop] [--policies ./module-exporting-policies.ts]
//
// Prints the figures as one JSON line at the end.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Kernel, KObject, ResourceRef, WriteOptions } from '@skiff/kernel';
import { startTestKernel } from '@skiff/kernel/testing';
import { SUCCESS, type NodeInfo, type PodInfo, type PolicyRegistration, type PolicyStatus, type SchedulerPolicy } from './framework.ts';
import { Scheduler } from './scheduler.ts';

const { values: flags } = parseArgs({
  options: {
    nodes: { type: 'string', default: '2000' },
    pods: { type: 'string', default: '5000' },
    parallel: { type: 'string', default: '256' },
    percentage: { type: 'string', default: '0' },
    // kernel: bind through pods/binding (the real figure); noop: a binding that writes nothing, to
    // see what the scheduler alone can do (cycles + binding bookkeeping, no store write)
    bind: { type: 'string', default: 'kernel' },
    // a module whose default export is the policies to use instead of the two tiny ones:
    // (SchedulerPolicy | { policy, weight })[]
    policies: { type: 'string' },
  },
});
const NODES = Number(flags.nodes);
const PODS_N = Number(flags.pods);

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
const NODE_REF: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };

const insufficient = (r: string): PolicyStatus => Object.freeze({ code: 'Unschedulable', reasons: [`Insufficient ${r}`] }) as PolicyStatus;
const NO_CPU = insufficient('cpu');
const NO_MEM = insufficient('memory');
const NO_PODS = Object.freeze({ code: 'Unschedulable', reasons: ['Too many pods'] }) as PolicyStatus;

const fit: SchedulerPolicy = {
  name: 'Fit',
  events: ['NodeAdd', 'NodeUpdate', 'PodDelete'],
  filter(_s, pod: PodInfo, node: NodeInfo) {
    const a = node.allocatable;
    const u = node.requested;
    const r = pod.requests;
    if ((u.pods ?? 0) + 1 > (a.pods ?? 0)) return NO_PODS;
    if ((r.cpu ?? 0) + (u.cpu ?? 0) > (a.cpu ?? 0)) return NO_CPU;
    if ((r.memory ?? 0) + (u.memory ?? 0) > (a.memory ?? 0)) return NO_MEM;
    return SUCCESS;
  },
};

const leastAllocated: SchedulerPolicy = {
  name: 'LeastAllocated',
  score(_s, pod, node) {
    const a = node.allocatable;
    const u = node.requested;
    const cpu = a.cpu ? ((a.cpu - (u.cpu ?? 0) - (pod.requests.cpu ?? 0)) * 100) / a.cpu : 0;
    const mem = a.memory ? ((a.memory - (u.memory ?? 0) - (pod.requests.memory ?? 0)) * 100) / a.memory : 0;
    return Math.floor((cpu + mem) / 2);
  },
};

async function main(): Promise<void> {
  const tk = await startTestKernel();
  const kernel = tk.kernel;
  try {
    const t0 = performance.now();
    // status is not kept on create: write it through the status subresource, as a node agent does
    await pool(NODES, 64, async (i) => {
      const node = await kernel.create(NODE_REF, { apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}`, labels: { zone: `z${i % 3}` } } });
      const res = { cpu: '32', memory: '128Gi', pods: '110' };
      await kernel.update(NODE_REF, { ...node, status: { allocatable: res, capacity: res } } as KObject, { subresource: 'status' });
    });
    const nodesMs = performance.now() - t0;
    const t1 = performance.now();
    await pool(PODS_N, 64, (i) =>
      kernel.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p-${i}`, namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'pause', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
      }),
    );
    const podsMs = performance.now() - t1;

    // count bindings as a user would: a watch on pods
    let bound = 0;
    let first = 0;
    let last = 0;
    const seen = new Set<string>();
    let doubled = 0;
    let resolveAll!: () => void;
    const all = new Promise<void>((r) => (resolveAll = r));
    const w = kernel.watch(PODS, { resourceVersion: (await kernel.list(PODS, { limit: 1 })).metadata.resourceVersion });
    void (async () => {
      for await (const ev of w) {
        if (ev.type !== 'MODIFIED') continue;
        const nodeName = (ev.object.spec as { nodeName?: string }).nodeName;
        if (!nodeName) continue;
        const uid = ev.object.metadata.uid!;
        if (seen.has(uid)) {
          doubled++;
          continue;
        }
        seen.add(uid);
        const t = performance.now();
        if (bound === 0) first = t;
        last = t;
        if (++bound === PODS_N) resolveAll();
      }
    })();

    const noop = flags.bind === 'noop';
    let noopBound = 0;
    const schedKernel: Kernel = noop
      ? new Proxy(kernel, {
          get(target, prop) {
            if (prop === 'create') {
              return (ref: ResourceRef, obj: KObject, opts?: WriteOptions) => {
                if (opts?.subresource !== 'binding') return target.create(ref, obj, opts);
                const t = performance.now();
                if (noopBound === 0) first = t;
                last = t;
                if (++noopBound === PODS_N) resolveAll();
                return Promise.resolve(obj);
              };
            }
            const v = (target as unknown as Record<string | symbol, unknown>)[prop];
            return typeof v === 'function' ? v.bind(target) : v;
          },
        })
      : kernel;
    const sched = new Scheduler({ kernel: schedKernel, parallelBindings: Number(flags.parallel), percentageOfNodesToScore: Number(flags.percentage) });
    if (flags.policies) {
      const mod = (await import(resolve(flags.policies))) as { default: (SchedulerPolicy | PolicyRegistration)[] };
      for (const p of mod.default) sched.registry.register('policy' in p && typeof p.policy === 'object' ? (p as PolicyRegistration) : { policy: p as SchedulerPolicy });
    } else {
      sched.registry.register({ policy: fit });
      sched.registry.register({ policy: leastAllocated });
    }
    const t2 = performance.now();
    await sched.start();
    const syncMs = performance.now() - t2;
    const timeout = setTimeout(() => resolveAll(), 120_000);
    await all;
    clearTimeout(timeout);
    const end = performance.now();
    await sched.drain();
    sched.stop();
    w.stop();
    const span = (last - first) / 1000;
    const figures = {
      bench: 'scheduler-throughput',
      nodes: NODES,
      pods: PODS_N,
      bind: noop ? 'noop' : 'kernel',
      policies: flags.policies ?? 'tiny (fit + least-allocated)',
      bound: noop ? noopBound : bound,
      doubleBound: doubled,
      createNodesMs: Math.round(nodesMs),
      createPodsMs: Math.round(podsMs),
      informerSyncMs: Math.round(syncMs),
      startToLastBindMs: Math.round(end - t2),
      firstToLastBindMs: Math.round(last - first),
      podsPerSecond: Math.round((noop ? noopBound : bound) / (span || 1e-9)),
      cycles: sched.stats.cycles,
      bindFailures: sched.stats.bindFailures,
    };
    console.log(JSON.stringify(figures));
  } finally {
    await tk.stop();
  }
}

async function pool(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

await main();
