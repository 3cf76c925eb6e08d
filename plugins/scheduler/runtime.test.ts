import { describe, expect, it } from 'vitest';
import { CachedNode } from './cache.ts';
import type { PodInfo, PolicyStatus, SchedulerPolicy } from './framework.ts';
import type { PolicyEntry } from './policy-registry.ts';
import { CycleStateImpl, FrameworkRuntime } from './runtime.ts';

const nodes = Array.from({ length: 6 }, (_, i) => {
  const n = new CachedNode(`n${i}`);
  n.setNode({ apiVersion: 'v1', kind: 'Node', metadata: { name: `n${i}` }, status: { allocatable: { cpu: '1' } } });
  return n;
});
const pod = { key: 'default/p', uid: 'u', namespace: 'default', name: 'p', labels: {}, requests: { pods: 1 }, priority: 0, schedulerName: 'default-scheduler', pod: {} } as unknown as PodInfo;
const entry = (policy: SchedulerPolicy): PolicyEntry => ({ name: policy.name, policy, weight: 1, profiles: ['default-scheduler'] });
const no = (why: string): PolicyStatus => ({ code: 'Unschedulable', reasons: [why] });
const snapshot = { nodes: () => nodes, node: (n: string) => nodes.find((x) => x.name === n) };

describe('split-phase Filter and Score', () => {
  it('starts split-phase policies first, runs the others, and keeps the first failing policy in order as the diagnosis', async () => {
    const order: string[] = [];
    // registered first: rejects n0 and n1, its work "runs elsewhere" until finished
    const split: SchedulerPolicy = {
      name: 'Split',
      beginFilterBatch(_s, _p, ns) {
        order.push('begin');
        return () => {
          order.push('finish');
          return ns.map((n) => (n.name === 'n0' || n.name === 'n1' ? no('split says no') : { code: 'Success' }));
        };
      },
    };
    // registered second: rejects n1 and n2, per node
    const plain: SchedulerPolicy = {
      name: 'Plain',
      filter(_s, _p, n) {
        if (!order.includes('plain')) order.push('plain');
        return n.name === 'n1' || n.name === 'n2' ? no('plain says no') : { code: 'Success' };
      },
    };
    const rt = new FrameworkRuntime(snapshot, 100);
    const diagnosis = new Map<string, PolicyStatus>();
    const feasible = await rt.filterBatched(new CycleStateImpl(), pod, nodes, [entry(split), entry(plain)], diagnosis, false);
    expect(order).toEqual(['begin', 'plain', 'finish']);
    expect(feasible.map((n) => n.name)).toEqual(['n3', 'n4', 'n5']);
    expect(diagnosis.get('n0')?.reasons).toEqual(['split says no']);
    expect(diagnosis.get('n1')?.reasons).toEqual(['split says no']); // both rejected it: the first in order wins
    expect(diagnosis.get('n2')?.reasons).toEqual(['plain says no']);
  });

  it('uses a split-phase score with its weight, and finishes it even when another scorer fails', async () => {
    let finished = 0;
    const split: SchedulerPolicy = {
      name: 'SplitScore',
      beginScoreBatch: (_s, _p, ns) => () => {
        finished++;
        return ns.map((n) => (n.name === 'n4' ? 100 : 0));
      },
    };
    const rt = new FrameworkRuntime(snapshot, 100);
    const fw = { preScore: [], score: [entry(split)] } as never;
    const best = await rt.score(new CycleStateImpl(), pod, fw, nodes);
    expect((best as CachedNode).name).toBe('n4');
    const failing: SchedulerPolicy = { name: 'Broken', score: () => { throw new Error('boom'); } };
    const r = await rt.score(new CycleStateImpl(), pod, { preScore: [], score: [entry(split), entry(failing)] } as never, nodes);
    expect((r as PolicyStatus).code).toBe('Error');
    expect(finished).toBe(2);
  });
});
