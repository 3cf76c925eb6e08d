import { describe, expect, it } from 'vitest';
import { MapCycleState } from './cycle-state.ts';
import { nodeResourcesFit } from './node-resources-fit.ts';
import { node, pod, reasons, runFilter, runScore } from './testing.ts';

describe('NodeResourcesFit filter', () => {
  it('rejects nodes without room for the cpu request', () => {
    const n1 = node('n1', { cpu: '4', memory: '8Gi', pods: [pod('x', { requests: { cpu: '1' } })] });
    const n2 = node('n2', { cpu: '4', memory: '8Gi' });
    const run = runFilter(nodeResourcesFit(), pod('p', { requests: { cpu: '3500m' } }), [n1, n2]);
    expect(run.statuses.n1).toEqual({ code: 'Unschedulable', reasons: ['Insufficient cpu'] });
    expect(run.statuses.n2.code).toBe('Success');
  });

  it('fits exactly at capacity', () => {
    const n = node('n', { cpu: '4', memory: '8Gi', pods: [pod('x', { requests: { cpu: '1', memory: '4Gi' } })] });
    expect(reasons(runFilter(nodeResourcesFit(), pod('p', { requests: { cpu: '3', memory: '4Gi' } }), [n]))).toEqual({ n: [] });
  });

  it('keeps every reason, in kube order', () => {
    const n = node('n', {
      cpu: '1',
      memory: '1Gi',
      ephemeralStorage: '1Gi',
      maxPods: 1,
      allocatable: { 'example.com/gpu': 1 },
      pods: [pod('x')],
    });
    const p = pod('p', { requests: { 'example.com/gpu': 2, memory: '2Gi', cpu: '2', 'ephemeral-storage': '2Gi' } });
    expect(runFilter(nodeResourcesFit(), p, [n]).statuses.n).toEqual({
      code: 'Unschedulable',
      reasons: ['Too many pods', 'Insufficient cpu', 'Insufficient memory', 'Insufficient ephemeral-storage', 'Insufficient example.com/gpu'],
    });
  });

  it('checks the pod count even for pods requesting nothing', () => {
    const full = node('full', { maxPods: 2, pods: [pod('a'), pod('b')] });
    const room = node('room', { maxPods: 3, pods: [pod('a2'), pod('b2')] });
    expect(reasons(runFilter(nodeResourcesFit(), pod('p'), [full, room]))).toEqual({ full: ['Too many pods'], room: [] });
  });

  it('checks extended resources, also on nodes that have none', () => {
    const some = node('some', { allocatable: { 'example.com/gpu': 4 }, pods: [pod('x', { requests: { 'example.com/gpu': 3 } })] });
    const none = node('none');
    const enough = node('enough', { allocatable: { 'example.com/gpu': 4 } });
    const run = runFilter(nodeResourcesFit(), pod('p', { requests: { 'example.com/gpu': 2 } }), [some, none, enough]);
    expect(reasons(run)).toEqual({ some: ['Insufficient example.com/gpu'], none: ['Insufficient example.com/gpu'], enough: [] });
  });

  it('ignores configured extended resources and resource groups', () => {
    const p = pod('p', { requests: { 'example.com/gpu': 2, 'vendor.io/fpga': 1 } });
    const n = node('n');
    expect(reasons(runFilter(nodeResourcesFit({ ignoredResources: ['example.com/gpu'] }), p, [n]))).toEqual({ n: ['Insufficient vendor.io/fpga'] });
    expect(reasons(runFilter(nodeResourcesFit({ ignoredResourceGroups: ['example.com', 'vendor.io'] }), p, [n]))).toEqual({ n: [] });
  });

  it('uses the larger of containers and init containers', () => {
    const p = pod('p', {
      containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }],
      initContainers: [{ name: 'init', resources: { requests: { cpu: '3' } } }],
    });
    expect(p.requests.cpu).toBe(3000);
    expect(reasons(runFilter(nodeResourcesFit(), p, [node('n', { cpu: '2' })]))).toEqual({ n: ['Insufficient cpu'] });
  });

  it('works without PreFilter having run (computes and caches the pod state)', () => {
    const fit = nodeResourcesFit();
    const st = new MapCycleState();
    const p = pod('p', { requests: { cpu: '5' } });
    expect(fit.filter!(st, p, node('n', { cpu: '4' }))).toEqual({ code: 'Unschedulable', reasons: ['Insufficient cpu'] });
    expect(fit.filter!(st, p, node('m', { cpu: '8' })).code).toBe('Success');
  });

  it('returns the shared SUCCESS without allocating per node', () => {
    const fit = nodeResourcesFit();
    const run = runFilter(fit, pod('p', { requests: { cpu: '1' } }), [node('a'), node('b')]);
    expect(run.statuses.a).toBe(run.statuses.b);
  });
});

describe('NodeResourcesFit score', () => {
  // kube's least_allocated_test "nothing scheduled, resources requested, differently sized nodes"
  const p = pod('p', {
    containers: [
      { name: 'a', resources: { requests: { cpu: '1', memory: '2000' } } },
      { name: 'b', resources: { requests: { cpu: '2', memory: '3000' } } },
    ],
  });
  const nodes = () => [node('n1', { cpu: '4', memory: '10000' }), node('n2', { cpu: '6', memory: '10000' })];

  it('LeastAllocated (default): free fraction per resource, weighted mean', () => {
    const run = runScore(nodeResourcesFit(), p, nodes());
    // n1: cpu (4000-3000)*100/4000 = 25, memory 50 -> 37; n2: 50, 50 -> 50
    expect(run.raw).toEqual({ n1: 37, n2: 50 });
    expect(run.normalized).toEqual({ n1: 37, n2: 50 });
  });

  it('LeastAllocated with resource weights', () => {
    const fit = nodeResourcesFit({ scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 2 }, { name: 'memory', weight: 1 }] } });
    // n1: (25*2 + 50) / 3 = 33
    expect(runScore(fit, p, nodes()).raw).toEqual({ n1: 33, n2: 50 });
  });

  it('MostAllocated: used fraction per resource', () => {
    const fit = nodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } });
    // n1: cpu 75, memory 50 -> 62; n2: 50, 50
    expect(runScore(fit, p, nodes()).raw).toEqual({ n1: 62, n2: 50 });
  });

  it('RequestedToCapacityRatio: default shape (0->0, 100->10) packs', () => {
    const fit = nodeResourcesFit({ scoringStrategy: { type: 'RequestedToCapacityRatio' } });
    // n1: cpu 75, memory 50 -> round(62.5) = 63
    expect(runScore(fit, p, nodes()).raw).toEqual({ n1: 63, n2: 50 });
  });

  it('RequestedToCapacityRatio: a spreading shape', () => {
    const fit = nodeResourcesFit({
      scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }] } },
    });
    // n1: cpu 100-75 = 25, memory 50 -> round(37.5) = 38
    expect(runScore(fit, p, nodes()).raw).toEqual({ n1: 38, n2: 50 });
  });

  it('counts 100m / 200Mi for containers that request nothing, on the node and for the pod', () => {
    const empty = node('empty', { cpu: '4', memory: '8Gi' });
    const busy = node('busy', { cpu: '4', memory: '8Gi', pods: [pod('be')] });
    const run = runScore(nodeResourcesFit(), pod('p'), [empty, busy]);
    // empty: cpu (4000-100)/4000 = 97, memory (8192-200)/8192 = 97; busy: 3800/4000 = 95, 7792/8192 = 95
    expect(run.raw).toEqual({ empty: 97, busy: 95 });
  });

  it('leaves out a scalar resource the pod does not request', () => {
    const fit = nodeResourcesFit({
      scoringStrategy: { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'example.com/gpu', weight: 5 }] },
    });
    const ns = [node('n1', { cpu: '4', memory: '10000', allocatable: { 'example.com/gpu': 4 } }), node('n2', { cpu: '6', memory: '10000' })];
    expect(runScore(fit, p, ns).raw).toEqual({ n1: 37, n2: 50 });
    // requested: gpu 1 of 4 -> 75 with weight 5 on n1: (25 + 50 + 375) / 7 = 64; n2 has no gpu: left out
    const gp = pod('g', {
      containers: [
        { name: 'a', resources: { requests: { cpu: '1', memory: '2000', 'example.com/gpu': '1' } } },
        { name: 'b', resources: { requests: { cpu: '2', memory: '3000' } } },
      ],
    });
    expect(runScore(fit, gp, ns).raw).toEqual({ n1: 64, n2: 50 });
  });

  it('rejects an unknown strategy', () => {
    expect(() => nodeResourcesFit({ scoringStrategy: { type: 'Nope' as never } })).toThrow(/unknown scoring strategy/);
  });
});
