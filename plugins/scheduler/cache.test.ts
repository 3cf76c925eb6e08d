import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { SchedulerCache } from './cache.ts';
import { numFeasibleNodesToFind } from './runtime.ts';
import { podHostPorts, podInfoOf, podRequests } from './pod-info.ts';
import { SchedulerPolicyRegistry } from './policy-registry.ts';
import { fitErrorMessage } from './reporter.ts';

const container = (name: string, requests: Record<string, string>, extra: Record<string, unknown> = {}) => ({ name, image: 'x', resources: { requests }, ...extra });
const pod = (spec: Record<string, unknown>, meta: Partial<KObject['metadata']> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1', ...meta },
  spec,
});
const node = (name: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels },
  spec,
  status,
});

describe('podRequests', () => {
  it('sums containers, takes the init peak when larger, adds overhead, counts the pod', () => {
    const r = podRequests(
      pod({
        containers: [container('a', { cpu: '100m', memory: '64Mi' }), container('b', { cpu: '0.2', 'example.com/gpu': '1' })],
        initContainers: [container('i1', { cpu: '1', memory: '10Mi' }), container('i2', { memory: '1Gi' })],
        overhead: { cpu: '10m' },
      }),
    );
    expect(r).toEqual({ cpu: 1010, memory: 2 ** 30, 'example.com/gpu': 1, pods: 1 });
  });

  it('counts sidecars (restartable init containers) with the app containers', () => {
    const r = podRequests(
      pod({
        initContainers: [container('side', { cpu: '200m' }, { restartPolicy: 'Always' }), container('init', { cpu: '500m' })],
        containers: [container('app', { cpu: '100m' })],
      }),
    );
    // app 100 + sidecar 200 = 300; peak while "init" runs: 500 + sidecar 200 = 700
    expect(r.cpu).toBe(700);
  });

  it('defaults requests to limits; no requests at all is just pods: 1', () => {
    expect(podRequests(pod({ containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '2', memory: '1G' } } }] }))).toEqual({ cpu: 2000, memory: 1e9, pods: 1 });
    expect(podRequests(pod({ containers: [{ name: 'a', image: 'x' }] }))).toEqual({ pods: 1 });
  });

  it('builds PodInfo once: priority, schedulerName, host ports', () => {
    const p = pod({ priority: 7, containers: [container('a', {}, { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }] })] }, { labels: { app: 'x' } });
    const info = podInfoOf(p);
    expect(info).toMatchObject({ key: 'default/p', uid: 'u1', priority: 7, schedulerName: 'default-scheduler', labels: { app: 'x' } });
    expect(podHostPorts(p)).toEqual(['TCP/0.0.0.0/8080', 'UDP/10.0.0.1/53']);
  });
});

describe('SchedulerCache', () => {
  it('builds NodeInfo from a Node: allocatable (or capacity), taints, images', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('n1', { allocatable: { cpu: '3500m', memory: '8Gi', pods: '110', 'nvidia.com/gpu': '2', 'ephemeral-storage': '100Gi' }, images: [{ names: ['pause:3.9', 'registry/pause@sha256:x'], sizeBytes: 1000 }] }, { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], unschedulable: true }, { zone: 'a' }));
    c.upsertNode(node('n2', { capacity: { cpu: '2', memory: '1Gi', pods: '10' } }));
    const n1 = c.node('n1')!;
    expect(n1.allocatable).toEqual({ cpu: 3500, memory: 8 * 2 ** 30, pods: 110, 'nvidia.com/gpu': 2, 'ephemeral-storage': 100 * 2 ** 30 });
    expect(n1.taints).toEqual([{ key: 'k', value: 'v', effect: 'NoSchedule' }]);
    expect(n1.unschedulable).toBe(true);
    expect(n1.labels).toEqual({ zone: 'a' });
    expect(n1.images.get('pause:3.9')).toBe(1000);
    expect(c.node('n2')!.allocatable).toEqual({ cpu: 2000, memory: 2 ** 30, pods: 10 });
    expect(c.nodes().map((n) => n.name)).toEqual(['n1', 'n2']);
  });

  it('counts bound and assumed pods; confirms, forgets, moves, and keeps pods of unknown nodes', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('n1', { allocatable: { cpu: '4', pods: '10' } }));
    c.upsertNode(node('n2', { allocatable: { cpu: '4', pods: '10' } }));
    const mk = (uid: string, nodeName?: string) =>
      podInfoOf(pod({ nodeName, containers: [container('a', { cpu: '1' }, { ports: [{ containerPort: 1, hostPort: 80 }] })] }, { uid, name: uid }));
    c.assume(mk('a'), 'n1');
    expect(c.node('n1')!.requested).toEqual({ cpu: 1000, memory: 0, 'ephemeral-storage': 0, pods: 1 });
    expect(c.node('n1')!.usedPorts.has('TCP/0.0.0.0/80')).toBe(true);
    const gen = c.node('n1')!.generation;
    c.upsertBoundPod(mk('a', 'n1')); // the watch confirms
    expect(c.isAssumed('a')).toBe(false);
    expect(c.node('n1')!.requested.cpu).toBe(1000);
    expect(c.node('n1')!.generation).toBeGreaterThan(gen);
    c.forget('a'); // confirmed: forget is a no-op
    expect(c.nodeOf('a')).toBe('n1');

    c.assume(mk('b'), 'n1');
    c.forget('b');
    expect(c.nodeOf('b')).toBeUndefined();
    expect(c.node('n1')!.requested).toEqual({ cpu: 1000, memory: 0, 'ephemeral-storage': 0, pods: 1 });

    c.assume(mk('c'), 'n1');
    c.upsertBoundPod(mk('c', 'n2')); // someone bound it elsewhere
    expect(c.node('n1')!.requested.cpu).toBe(1000);
    expect(c.node('n2')!.requested.cpu).toBe(1000);

    c.upsertBoundPod(mk('d', 'ghost')); // before its node shows up
    expect(c.node('ghost')).toBeUndefined();
    c.upsertNode(node('ghost', { allocatable: { cpu: '1' } }));
    expect(c.node('ghost')!.requested.cpu).toBe(1000);

    c.removePod('a');
    expect(c.node('n1')!.requested).toEqual({ cpu: 0, memory: 0, 'ephemeral-storage': 0, pods: 0 });
    expect(c.node('n1')!.usedPorts.size).toBe(0);
  });

  it('holds changes back while a cycle holds it', () => {
    const c = new SchedulerCache();
    c.hold();
    c.upsertNode(node('n1', {}));
    expect(c.nodeCount).toBe(0);
    c.release();
    expect(c.nodeCount).toBe(1);
  });

  it('re-list: nodes and pods not in the list go, assumed pods stay', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('n1', { allocatable: { cpu: '4' } }));
    c.upsertNode(node('n2', {}));
    c.upsertBoundPod(podInfoOf(pod({ nodeName: 'n1', containers: [container('a', { cpu: '1' })] }, { uid: 'gone' })));
    c.assume(podInfoOf(pod({ containers: [container('a', { cpu: '2' })] }, { uid: 'assumed' })), 'n1');
    c.resetNodes([node('n1', { allocatable: { cpu: '4' } })]);
    c.resetPods([]);
    expect(c.nodes().map((n) => n.name)).toEqual(['n1']);
    expect(c.node('n1')!.requested.cpu).toBe(2000);
  });
});

describe('PolicyRegistry', () => {
  it('registers, replaces in place, and disposes only the current registration', () => {
    const r = new SchedulerPolicyRegistry();
    const a1 = r.register({ policy: { name: 'A', filter: () => ({ code: 'Success' }) } });
    r.register({ policy: { name: 'B', score: () => 1 }, weight: 3, profiles: ['x'] });
    const before = r.snapshot('default-scheduler');
    const a2 = r.register({ policy: { name: 'A', score: () => 2 }, weight: 2 });
    expect(r.list()).toEqual([
      { name: 'A', weight: 2, profiles: ['default-scheduler'] },
      { name: 'B', weight: 3, profiles: ['x'] },
    ]);
    // the old snapshot is untouched; the new one has A as a scorer only
    expect(before.filter.map((e) => e.name)).toEqual(['A']);
    const after = r.snapshot('default-scheduler');
    expect(after.filter).toEqual([]);
    expect(after.score.map((e) => [e.name, e.weight])).toEqual([['A', 2]]);
    expect(r.snapshot('default-scheduler')).toBe(after); // cached until the next change
    a1.dispose(); // replaced since: no effect
    expect(r.list().map((e) => e.name)).toEqual(['A', 'B']);
    a2.dispose();
    expect(r.list().map((e) => e.name)).toEqual(['B']);
    expect(r.snapshot('x').score.map((e) => e.name)).toEqual(['B']);
  });
});

describe('helpers', () => {
  it('numFeasibleNodesToFind is adaptive like kube', () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(100)).toBe(100);
    expect(numFeasibleNodesToFind(1000)).toBe(420); // 50 - 8 = 42%
    expect(numFeasibleNodesToFind(5000)).toBe(500); // 50 - 40 = 10%
    expect(numFeasibleNodesToFind(20_000)).toBe(1000); // min 5%
    expect(numFeasibleNodesToFind(1000, 5)).toBe(100); // at least 100
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
  });

  it('fitErrorMessage aggregates reasons and sorts "<count> <reason>" as strings, as kube-scheduler does', () => {
    const s = (r: string) => ({ code: 'Unschedulable' as const, reasons: [r] });
    const msg = fitErrorMessage(5, [s('Insufficient cpu'), s('node(s) had untolerated taint {dedicated: gpu}'), s('Insufficient cpu'), s('Insufficient cpu'), s('node(s) had untolerated taint {dedicated: gpu}')], 'preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.');
    expect(msg).toBe('0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.');
    expect(fitErrorMessage(2, [s('b'), s('a')])).toBe('0/2 nodes are available: 1 a, 1 b.');
  });
});

describe('SchedulerCache change feed', () => {
  const info = (uid: string, requests: Record<string, string> = { cpu: '1' }) =>
    podInfoOf(pod({ containers: [container('a', requests)] }, { name: uid, uid }));

  it('lists the nodes changed since a sequence number: node updates, assumed, confirmed, forgotten and removed pods', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('n1', { allocatable: { cpu: '4' } }));
    c.upsertNode(node('n2', { allocatable: { cpu: '4' } }));
    const s0 = c.changeSeq();
    expect(c.changedSince(s0)).toEqual([]);
    c.assume(info('a'), 'n1');
    const s1 = c.changeSeq();
    expect(s1).toBeGreaterThan(s0);
    expect(c.changedSince(s0)!.map((n) => n.name)).toEqual(['n1']);
    c.forget('a');
    c.upsertNode(node('n2', { allocatable: { cpu: '8' } }));
    expect(c.changedSince(s1)!.map((n) => n.name)).toEqual(['n1', 'n2']);
    const s2 = c.changeSeq();
    const bound = { ...info('b'), nodeName: 'n2' };
    c.upsertBoundPod(bound);
    c.removePod('b');
    c.removeNode('n1');
    expect(c.changedSince(s2)!.map((n) => n.name)).toEqual(['n2', 'n2', 'n1']);
    expect(c.changedSince(c.changeSeq())).toEqual([]);
  });

  it('says it cannot tell (undefined) for a sequence number it no longer remembers, or one from the future', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('n1', { allocatable: { cpu: '1000', pods: '100000' } }));
    const old = c.changeSeq();
    for (let i = 0; i < 10_000; i++) c.assume(info(`p${i}`, {}), 'n1');
    expect(c.changedSince(old)).toBeUndefined();
    expect(c.changedSince(c.changeSeq() + 1)).toBeUndefined();
    const recent = c.changeSeq() - 3;
    expect(c.changedSince(recent)!.length).toBe(3);
  });

  it('holds back changes during a cycle, and logs them when applied', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('n1', { allocatable: { cpu: '4' } }));
    const s = c.changeSeq();
    c.hold();
    c.upsertNode(node('n1', { allocatable: { cpu: '8' } }));
    expect(c.changeSeq()).toBe(s);
    c.release();
    expect(c.changedSince(s)!.map((n) => n.name)).toEqual(['n1']);
  });
});
