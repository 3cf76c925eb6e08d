// The scheduler examples, built into components and run through jco's glue (instantiation mode):
// least-allocated against Skiff's TS NodeResourcesFit on generated clusters, gpu-filter,
// bin-packing against the TS MostAllocated strategy, and memory over many calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSnapshot, NodeInfo, PodInfo, Resources, SchedulerPolicy as TsPolicy } from '@skiff/plugin-scheduler/framework';
import { MapCycleState, nodeResourcesFit, type NodeResourcesFitOptions } from '@skiff/scheduler-policies';
import { buildComponent } from './build.ts';
import { examplePath, loadComponent, prng, witNode, witPod, type LoadedComponent } from './testing.ts';
import { REASON_SEPARATOR, type SchedulerPolicyExports } from './wit-values.ts';

const built = new Map<string, Uint8Array>();
const loaded: LoadedComponent<SchedulerPolicyExports>[] = [];

beforeAll(async () => {
  for (const name of ['least-allocated', 'gpu-filter', 'bin-packing']) {
    built.set(name, (await buildComponent({ entry: examplePath(name), world: 'scheduler-policy' })).bytes);
  }
});
afterAll(async () => {
  for (const c of loaded) await c.dispose();
});

async function policy(name: string, config: object = {}) {
  const c = await loadComponent<SchedulerPolicyExports>(built.get(name)!);
  loaded.push(c);
  const capabilities = c.exports.configure(JSON.stringify(config));
  return { ...c, api: c.exports, capabilities };
}

// ---------------------------------------------------------------------------------------------
// A generated cluster, as the scheduler's cache has it

const GI = 1024 ** 3;
const MI = 1024 ** 2;

function podInfo(name: string, requests: Resources): PodInfo {
  return {
    pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: {} },
    key: `default/${name}`,
    uid: `uid-${name}`,
    namespace: 'default',
    name,
    labels: { app: name },
    requests: { ...requests, pods: 1 },
    priority: 0,
    schedulerName: 'default-scheduler',
  };
}

function generateCluster(seed: number, nodeCount: number, podCount: number) {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const nodes: NodeInfo[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const allocatable: Resources = { cpu: pick([2000, 4000, 8000, 16000]), memory: pick([4, 8, 16, 32]) * GI, pods: pick([2, 5, 110]) };
    if (rnd() < 0.5) allocatable['ephemeral-storage'] = pick([20, 100]) * GI;
    if (rnd() < 0.3) allocatable['nvidia.com/gpu'] = pick([1, 2, 4, 8]);
    if (rnd() < 0.3) allocatable['example.com/foo'] = pick([1, 3]);
    if (rnd() < 0.2) allocatable['hugepages-2Mi'] = 512 * MI;
    // the pods on the node request cpu and memory (kube's non-zero amounts are then the requested ones)
    const pods: PodInfo[] = [];
    const requested: Resources = {};
    const placed = Math.floor(rnd() * 6);
    for (let k = 0; k < placed; k++) {
      const r: Resources = { cpu: pick([100, 500, 1000, 3000]), memory: pick([128 * MI, GI, 4 * GI]) };
      if (allocatable['nvidia.com/gpu'] && rnd() < 0.5) r['nvidia.com/gpu'] = pick([1, 2]);
      if (allocatable['ephemeral-storage'] && rnd() < 0.5) r['ephemeral-storage'] = pick([GI, 10 * GI]);
      const p = podInfo(`n${i}-p${k}`, r);
      pods.push(p);
      for (const [k2, v] of Object.entries(p.requests)) requested[k2] = (requested[k2] ?? 0) + v;
    }
    nodes.push({
      name: `node-${i}`,
      id: i,
      node: { apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}` } },
      labels: { 'kubernetes.io/hostname': `node-${i}` },
      taints: [],
      unschedulable: false,
      allocatable,
      requested,
      pods,
      usedPorts: new Set(),
      images: new Map(),
      generation: 1,
    });
  }
  const pods: PodInfo[] = [];
  for (let j = 0; j < podCount; j++) {
    const r: Resources = { cpu: pick([0, 100, 500, 2000, 6000]), memory: pick([0, 256 * MI, 2 * GI, 12 * GI]) };
    if (rnd() < 0.3) r['ephemeral-storage'] = pick([GI, 50 * GI]);
    if (rnd() < 0.3) r['nvidia.com/gpu'] = pick([1, 2, 5]);
    if (rnd() < 0.2) r['example.com/foo'] = 2;
    if (rnd() < 0.2) r['ignored.example.com/bar'] = 1;
    if (rnd() < 0.1) r['example.com/skipped'] = 1;
    pods.push(podInfo(`pod-${j}`, r));
  }
  return { nodes, pods };
}

function snapshot(nodes: NodeInfo[]): ClusterSnapshot {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return { nodes: () => nodes, node: (name) => byName.get(name) };
}

/** Filter (reasons, [] when it fits) and Score of the TS policy, node by node, as the scheduler runs it. */
function runTs(ts: TsPolicy, pod: PodInfo, nodes: NodeInfo[]) {
  const state = new MapCycleState();
  const snap = snapshot(nodes);
  ts.preFilter?.(state, pod, snap);
  const reasons = nodes.map((n) => {
    const s = ts.filter!(state, pod, n);
    return s.code === 'Success' ? [] : s.reasons!;
  });
  ts.preScore?.(state, pod, nodes, snap);
  const scores = nodes.map((n) => ts.score!(state, pod, n));
  return { reasons, scores };
}

/** The guest's answer for every node, by slot (slot i = nodes[i]), reasons split as a host splits them. */
function runGuest(api: SchedulerPolicyExports, pod: PodInfo, slots: Uint32Array) {
  const p = witPod(pod);
  const { verdicts, reasons } = api.filter(p, slots);
  const scores = api.score(p, slots);
  return {
    reasons: Array.from(verdicts, (v) => (v === 0 ? [] : reasons[v - 1].message.split(REASON_SEPARATOR))),
    unresolvable: reasons.some((r) => r.unresolvable),
    scores: Array.from(scores),
  };
}

const allSlots = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

describe('least-allocated', () => {
  const configs: NodeResourcesFitOptions[] = [
    { ignoredResources: ['example.com/skipped'], ignoredResourceGroups: ['ignored.example.com'] },
    {
      scoringStrategy: {
        type: 'LeastAllocated',
        resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }, { name: 'nvidia.com/gpu', weight: 2 }, { name: 'ephemeral-storage', weight: 1 }],
      },
    },
  ];

  it.each(configs)('gives the verdicts, reasons and scores of the TS NodeResourcesFit (%j)', async (config) => {
    const { api, capabilities } = await policy('least-allocated', config);
    expect(capabilities).toEqual({ filter: true, score: true });
    const { nodes, pods } = generateCluster(7, 300, 40);
    api.updateNodes(nodes.map((n, slot) => ({ slot, node: witNode(n) })));
    const ts = nodeResourcesFit(config);
    const slots = allSlots(nodes.length);
    let rejected = 0;
    let multi = 0;
    for (const pod of pods) {
      const want = runTs(ts, pod, nodes);
      const got = runGuest(api, pod, slots);
      expect(got.reasons, pod.name).toEqual(want.reasons);
      expect(got.scores, pod.name).toEqual(want.scores);
      expect(got.unresolvable).toBe(false);
      rejected += want.reasons.filter((r) => r.length > 0).length;
      multi += want.reasons.filter((r) => r.length > 1).length;
    }
    // the generated cluster exercises both outcomes and nodes with several reasons
    expect(rejected).toBeGreaterThan(1000);
    expect(multi).toBeGreaterThan(100);
  });

  it('follows node updates by slot: changed, freed and reused slots', async () => {
    const { api } = await policy('least-allocated');
    const { nodes, pods } = generateCluster(11, 20, 1);
    api.updateNodes(nodes.map((n, slot) => ({ slot, node: witNode(n) })));
    const pod = podInfoWith({ cpu: 1000, memory: GI });
    const full: NodeInfo = { ...nodes[3], allocatable: { ...nodes[3].allocatable, cpu: 500, pods: 110 }, pods: [] , requested: {} };
    api.updateNodes([{ slot: 3, node: witNode(full) }, { slot: 5 }]);
    const r = api.filter(witPod(pod), [3]);
    expect(r.reasons[r.verdicts[0] - 1]?.message).toBe('Insufficient cpu');
    // slot 5 is free: a new node takes it
    const roomy: NodeInfo = { ...nodes[5], name: 'roomy', allocatable: { cpu: 64000, memory: 256 * GI, pods: 110 }, requested: {}, pods: [] };
    api.updateNodes([{ slot: 5, node: witNode(roomy) }, { slot: 40, node: witNode(roomy) }]);
    expect(Array.from(api.filter(witPod(pod), [5, 40]).verdicts)).toEqual([0, 0]);
    expect(Array.from(api.score(witPod(pod), [5, 40]))).toEqual(Array.from(runTs(nodeResourcesFit(), pod, [roomy, roomy]).scores));
    expect(pods).toHaveLength(1);
  });

  it('rejects a config it does not implement, with the message', async () => {
    const c = await loadComponent<SchedulerPolicyExports>(built.get('least-allocated')!);
    loaded.push(c);
    expect(() => c.exports.configure('{"scoringStrategy":{"type":"MostAllocated"}}')).toThrow(
      'config: this policy implements the LeastAllocated scoring strategy only, not MostAllocated',
    );
    expect(() => c.exports.configure('{"ignoredResources": [')).toThrow(/^config: unexpected end of JSON at offset 22$/);
  });

  it('keeps its memory flat over 20,000 filter and score calls', async () => {
    const c = await policy('least-allocated');
    const { nodes, pods } = generateCluster(3, 500, 20);
    c.api.updateNodes(nodes.map((n, slot) => ({ slot, node: witNode(n) })));
    const slots = allSlots(nodes.length);
    const witPods = pods.map(witPod);
    const run = (calls: number) => {
      for (let i = 0; i < calls; i++) {
        const p = witPods[i % witPods.length];
        c.api.filter(p, slots);
        c.api.score(p, slots);
      }
    };
    run(3_000); // the heap and the arena reach their working size (the SDK collects every 1,024 calls)
    const before = c.memoryBytes();
    run(20_000);
    expect(c.memoryBytes()).toBe(before);
  });
});

function podInfoWith(requests: Resources): PodInfo {
  return podInfo('probe', requests);
}

describe('gpu-filter', () => {
  const gpuNode = (name: string, allocatable: number, requested: number): NodeInfo => ({
    ...generateCluster(1, 1, 0).nodes[0],
    name,
    allocatable: { cpu: 8000, memory: 32 * GI, pods: 110, ...(allocatable ? { 'nvidia.com/gpu': allocatable } : {}) },
    requested: requested ? { 'nvidia.com/gpu': requested } : {},
    pods: [],
  });

  it('rejects nodes without enough free GPUs and packs GPU pods', async () => {
    const { api, capabilities } = await policy('gpu-filter');
    expect(capabilities).toEqual({ filter: true, score: true });
    const nodes = [gpuNode('none', 0, 0), gpuNode('idle-8', 8, 0), gpuNode('busy-8', 8, 6), gpuNode('full-4', 4, 4), gpuNode('half-4', 4, 2)];
    api.updateNodes(nodes.map((n, slot) => ({ slot, node: witNode(n) })));
    const slots = allSlots(nodes.length);
    const pod = witPod(podInfoWith({ cpu: 1000, memory: GI, 'nvidia.com/gpu': 2 }));
    const { verdicts, reasons } = api.filter(pod, slots);
    expect(reasons).toEqual([{ message: 'Insufficient nvidia.com/gpu', unresolvable: false }]);
    expect(Array.from(verdicts)).toEqual([1, 0, 0, 1, 0]);
    // used share once placed: idle-8 2/8, busy-8 8/8, half-4 4/4
    expect(Array.from(api.score(pod, [1, 2, 4]))).toEqual([25, 100, 100]);
    // no GPU asked: fits everywhere, no preference
    const cpuPod = witPod(podInfoWith({ cpu: 1000 }));
    expect(Array.from(api.filter(cpuPod, slots).verdicts)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(api.score(cpuPod, slots))).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('bin-packing', () => {
  it('scores like the TS MostAllocated strategy and reports score only', async () => {
    const { api, capabilities } = await policy('bin-packing', { resources: [{ name: 'cpu', weight: 2 }, { name: 'memory', weight: 1 }] });
    expect(capabilities).toEqual({ filter: false, score: true });
    const { nodes, pods } = generateCluster(5, 200, 20);
    api.updateNodes(nodes.map((n, slot) => ({ slot, node: witNode(n) })));
    const ts = nodeResourcesFit({ scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu', weight: 2 }, { name: 'memory', weight: 1 }] } });
    const slots = allSlots(nodes.length);
    for (const pod of pods) expect(Array.from(api.score(witPod(pod), slots)), pod.name).toEqual(runTs(ts, pod, nodes).scores);
  });
});
