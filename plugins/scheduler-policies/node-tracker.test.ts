// The incremental, cluster-wide bookkeeping behind the policies' skips: NodeTracker (with and
// without the scheduler cache's change feed), the counters built on it, and the policies' answers
// as the cluster changes under one long-lived policy instance (as in the scheduler).
import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { SchedulerCache } from '@skiff/plugin-scheduler';
import type { ClusterSnapshot, NodeInfo, PodInfo } from '@skiff/plugin-scheduler/framework';
import { MapCycleState, StateKey } from './cycle-state.ts';
import { ImageNodeCounter, imageLocality } from './image-locality.ts';
import { AffinityPodCounter, interPodAffinity } from './inter-pod-affinity.ts';
import { NodeSum, NodeTracker } from './node-tracker.ts';
import { nodeResourcesFit } from './node-resources-fit.ts';
import { NonZeroExactness } from './resource-allocation.ts';
import { taintToleration } from './taint-toleration.ts';
import { node, pod, runFilter, runScore, snapshot } from './testing.ts';

const MB = 1024 * 1024;
const HOST = 'kubernetes.io/hostname';

/** a NodeSum of pods, counting how often it had to look at a node */
function podCounter() {
  const looked: string[] = [];
  const sum = new NodeSum((n) => {
    looked.push(n.name);
    return n.pods.length;
  });
  return { sum, looked };
}

const bump = (n: NodeInfo) => ((n as { generation: number }).generation += 1);

describe('NodeTracker (any snapshot: walks nodes(), re-derives changed nodes only)', () => {
  it('sums per node, and follows generation changes, additions, removals and replacements', () => {
    const a = node('a', { pods: [pod('x')] });
    const b = node('b');
    let list: NodeInfo[] = [a, b];
    const snap: ClusterSnapshot = { nodes: () => list, node: (n) => list.find((x) => x.name === n) };
    const { sum, looked } = podCounter();
    expect(sum.value(snap)).toBe(1);
    expect(looked).toEqual(['a', 'b']);
    looked.length = 0;
    expect(sum.value(snap)).toBe(1);
    expect(looked).toEqual([]); // nothing changed
    b.pods.push(pod('y'), pod('z'));
    bump(b);
    expect(sum.value(snap)).toBe(3);
    expect(looked).toEqual(['b']);
    // a pod pushed without a generation bump is still noticed (pod count)
    a.pods.push(pod('w'));
    expect(sum.value(snap)).toBe(4);
    list = [b];
    expect(sum.value(snap)).toBe(2);
    const a2 = node('a', { pods: [pod('v')] });
    list = [a2, b];
    expect(sum.value(snap)).toBe(3);
    // preemption's what-if: a stand-in for one node, and back
    const standIn = { ...b, pods: [], generation: -1 };
    expect(sum.value({ nodes: () => [a2, standIn], node: () => undefined })).toBe(1);
    expect(sum.value(snap)).toBe(3);
  });

  it('with a token, a second sync in the same cycle does nothing', () => {
    const a = node('a');
    const snap = snapshot([a]);
    let calls = 0;
    const t = new NodeTracker<number>({ update: () => ++calls, remove: () => {} });
    const token = {};
    t.sync(snap, token);
    bump(a);
    t.sync(snap, token);
    expect(calls).toBe(1);
    t.sync(snap, {});
    expect(calls).toBe(2);
  });
});

// ---- with the scheduler cache (change feed)

const nodeObj = (name: string, o: { labels?: Record<string, string>; taints?: unknown[]; images?: { names: string[]; sizeBytes: number }[] } = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { [HOST]: name, ...(o.labels ?? {}) } },
  spec: o.taints ? { taints: o.taints } : {},
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, ...(o.images ? { images: o.images } : {}) },
});

function cacheWith(...names: string[]): SchedulerCache {
  const c = new SchedulerCache();
  for (const n of names) c.upsertNode(nodeObj(n));
  return c;
}

describe('NodeTracker with the change feed', () => {
  it('looks only at the nodes the feed names; a node added or removed means one walk', () => {
    const c = cacheWith('a', 'b', 'c');
    const { sum, looked } = podCounter();
    expect(sum.value(c)).toBe(0);
    expect(looked).toEqual(['a', 'b', 'c']);
    looked.length = 0;
    c.assume(pod('p1'), 'b');
    c.assume(pod('p2'), 'b');
    expect(sum.value(c)).toBe(2);
    expect(looked).toEqual(['b']); // the feed named b twice; the second time it was already current
    looked.length = 0;
    c.assume(pod('ghost-pod'), 'ghost'); // a node no Node object names: not in nodes()
    expect(sum.value(c)).toBe(2);
    c.upsertNode(nodeObj('d'));
    expect(sum.value(c)).toBe(2);
    expect(looked).toEqual(['d']); // walked every node, re-derived the new one
    c.removeNode('b');
    expect(sum.value(c)).toBe(0);
  });

  it('falls back to a walk when the feed cannot tell', () => {
    const c = cacheWith('a');
    const t = new NodeTracker<number>({ update: (n) => n.pods.length, remove: () => {} });
    t.sync(c);
    const feedless: ClusterSnapshot = { nodes: () => c.nodes(), node: (n) => c.node(n) };
    const real = c.changedSince.bind(c);
    (c as unknown as { changedSince: (s: number) => undefined }).changedSince = () => undefined;
    c.assume(pod('p'), 'a');
    t.sync(c);
    expect(t.fullScans).toBe(2);
    (c as unknown as { changedSince: typeof real }).changedSince = real;
    c.assume(pod('q'), 'a');
    t.sync(c);
    expect(t.fullScans).toBe(2);
    t.sync(feedless);
    expect(t.fullScans).toBe(3);
  });
});

const anti = (app: string) => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: HOST }] } });
const preferred = (app: string) => ({ podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { labelSelector: { matchLabels: { app } }, topologyKey: HOST } }] } });

describe('InterPodAffinity across cycles (one policy instance, the cache changing under it)', () => {
  it('skips PreFilter until a pod with required anti-affinity appears, and again once it is gone', () => {
    const c = cacheWith('a', 'b');
    const ipa = interPodAffinity();
    const web = () => pod('web', { labels: { app: 'web' } });
    expect(runFilter(ipa, web(), c.nodes() as NodeInfo[], c).skipped).toBe(true);
    const loner = pod('loner', { labels: { app: 'loner' }, affinity: anti('web') });
    c.assume(loner, 'a');
    const run = runFilter(ipa, web(), c.nodes() as NodeInfo[], c);
    expect(run.skipped).toBe(false);
    expect(run.statuses.a.code).toBe('Unschedulable');
    expect(run.statuses.b.code).toBe('Success');
    c.forget(loner.uid);
    expect(runFilter(ipa, web(), c.nodes() as NodeInfo[], c).skipped).toBe(true);
  });

  it('skips PreScore until some pod has affinity terms', () => {
    const c = cacheWith('a', 'b');
    const ipa = interPodAffinity();
    const web = () => pod('web', { labels: { app: 'web' } });
    expect(runScore(ipa, web(), c.nodes() as NodeInfo[], c).skipped).toBe(true);
    c.assume(pod('fan', { affinity: preferred('web') }), 'b');
    const run = runScore(ipa, web(), c.nodes() as NodeInfo[], c);
    expect(run.skipped).toBe(false);
    expect(run.raw).toEqual({ a: 0, b: 5 });
  });

  it('counts pods with terms per cluster, node by node', () => {
    const c = cacheWith('a', 'b');
    const counter = new AffinityPodCounter();
    expect(counter.sync(c)).toMatchObject({ withAffinity: 0, withRequiredAnti: 0 });
    const x = pod('x', { affinity: anti('web') });
    c.assume(x, 'a');
    c.assume(pod('y', { affinity: preferred('web') }), 'b');
    c.assume(pod('z'), 'b');
    expect(counter.sync(c)).toMatchObject({ withAffinity: 2, withRequiredAnti: 1 });
    const seen: string[] = [];
    counter.forEachNode(true, (n, pods) => seen.push(`${n.name}:${pods.map((p) => p.name).join()}`));
    expect(seen).toEqual(['a:x']);
    c.removeNode('a');
    c.forget(x.uid);
    expect(counter.sync(c)).toMatchObject({ withAffinity: 1, withRequiredAnti: 0 });
  });
});

describe('ImageLocality across cycles', () => {
  it('counts the nodes per image as node statuses change, an untagged and a :latest listing once', () => {
    const c = cacheWith('a', 'b', 'c');
    const counter = new ImageNodeCounter();
    expect(counter.sync(c).nodesWith('redis:latest', 'redis')).toBe(0);
    c.upsertNode(nodeObj('a', { images: [{ names: ['redis', 'redis:latest'], sizeBytes: 100 * MB }] }));
    c.upsertNode(nodeObj('b', { images: [{ names: ['redis:latest'], sizeBytes: 100 * MB }, { names: ['nginx:1'], sizeBytes: MB }] }));
    expect(counter.sync(c).nodesWith('redis:latest', 'redis')).toBe(2);
    expect(counter.nodesWith('nginx:1')).toBe(1);
    c.upsertNode(nodeObj('b', { images: [{ names: ['nginx:1'], sizeBytes: MB }] }));
    expect(counter.sync(c).nodesWith('redis:latest', 'redis')).toBe(1);
    c.removeNode('a');
    expect(counter.sync(c).nodesWith('redis:latest', 'redis')).toBe(0);
  });

  it('skips when no node has any of the images, and scores once one has', () => {
    const c = cacheWith('a', 'b');
    const il = imageLocality();
    const p = () => pod('p', { images: ['big:1'] });
    expect(runScore(il, p(), c.nodes() as NodeInfo[], c).skipped).toBe(true);
    c.upsertNode(nodeObj('b', { images: [{ names: ['big:1'], sizeBytes: 2000 * MB }] }));
    const run = runScore(il, p(), c.nodes() as NodeInfo[], c);
    expect(run.skipped).toBe(false);
    // on 1 of 2 nodes: 1000 MB counted, 1 container
    expect(run.raw).toEqual({ a: 0, b: Math.trunc((100 * (1000 * MB - 23 * MB)) / (1000 * MB - 23 * MB)) });
  });
});

describe('TaintToleration across cycles', () => {
  it('skips Filter while no node has a NoSchedule / NoExecute taint', () => {
    const c = cacheWith('a', 'b');
    const tt = taintToleration();
    expect(runFilter(tt, pod('p'), c.nodes() as NodeInfo[], c).skipped).toBe(true);
    c.upsertNode(nodeObj('b', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }));
    expect(runFilter(tt, pod('p'), c.nodes() as NodeInfo[], c).skipped).toBe(true);
    expect(runScore(tt, pod('p'), c.nodes() as NodeInfo[], c).normalized).toEqual({ a: 100, b: 0 });
    c.upsertNode(nodeObj('a', { taints: [{ key: 'k', effect: 'NoExecute' }] }));
    const run = runFilter(tt, pod('p'), c.nodes() as NodeInfo[], c);
    expect(run.skipped).toBe(false);
    expect(run.statuses.a.code).toBe('UnschedulableAndUnresolvable');
    c.upsertNode(nodeObj('a'));
    c.upsertNode(nodeObj('b'));
    expect(runFilter(tt, pod('p'), c.nodes() as NodeInfo[], c).skipped).toBe(true);
    expect(runScore(tt, pod('p'), c.nodes() as NodeInfo[], c).normalized).toEqual({ a: 100, b: 100 });
  });
});

describe('NodeResourcesFit: non-zero requests', () => {
  it('knows when every pod requests its non-zero cpu and memory', () => {
    const c = cacheWith('a');
    const ex = new NonZeroExactness();
    expect(ex.holds(c)).toBe(true);
    c.assume(pod('x', { requests: { cpu: '1', memory: '1Gi' } }), 'a');
    expect(ex.holds(c)).toBe(true);
    const be = pod('best-effort');
    c.assume(be, 'a');
    expect(ex.holds(c)).toBe(false);
    c.forget(be.uid);
    expect(ex.holds(c)).toBe(true);
  });

  it('scores with the non-zero amounts of best-effort pods, and the same with or without them elsewhere', () => {
    const full = (name: string, pods: PodInfo[]) => node(name, { cpu: '1', memory: '1Gi', pods });
    const p = pod('p', { requests: { cpu: '100m', memory: '100Mi' } });
    // a: a best-effort pod (counts as 100m / 200Mi); b: the same amounts, requested
    const nodes = [full('a', [pod('be')]), full('b', [pod('r', { requests: { cpu: '100m', memory: '200Mi' } })])];
    const run = runScore(nodeResourcesFit(), p, nodes);
    expect(run.raw.a).toBe(run.raw.b);
    // (1000-200)/1000 -> 80; (1024-300)/1024 -> 70; mean 75
    expect(run.raw.b).toBe(75);
    // without the best-effort pod anywhere (the shortcut applies), b scores the same
    expect(runScore(nodeResourcesFit(), p, [nodes[1]]).raw.b).toBe(75);
  });
});

describe('StateKey', () => {
  it('remembers the value of the last state, and reads another state afresh', () => {
    const k = new StateKey<number>('k');
    const s1 = new MapCycleState();
    const s2 = new MapCycleState();
    expect(k.read(s1)).toBeUndefined();
    k.write(s1, 1);
    expect(k.read(s1)).toBe(1);
    expect(s1.read('k')).toBe(1);
    s2.write('k', 2);
    expect(k.read(s2)).toBe(2);
    expect(k.read(s1)).toBe(1);
  });
});
