import { describe, expect, it } from 'vitest';
import { balancedAllocation } from './balanced-allocation.ts';
import { node, pod, runScore } from './testing.ts';

describe('NodeResourcesBalancedAllocation', () => {
  const p = pod('p', { requests: { cpu: '3', memory: '5000' } });

  it('scores (1 - std of the requested fractions) x 100', () => {
    const run = runScore(balancedAllocation(), p, [node('n1', { cpu: '4', memory: '10000' }), node('n2', { cpu: '6', memory: '10000' })]);
    // n1: 0.75 and 0.5 -> std 0.125 -> 87; n2: 0.5 and 0.5 -> 100
    expect(run.raw).toEqual({ n1: 87, n2: 100 });
    expect(run.normalized).toEqual({ n1: 87, n2: 100 });
  });

  it('counts what the node already runs (plain requests) and caps fractions at 1', () => {
    const n = node('n', { cpu: '4', memory: '10000', pods: [pod('x', { requests: { cpu: '2' } })] });
    // cpu (2000 + 3000) / 4000 -> 1 (capped), memory 0.5 -> std 0.25 -> 75
    expect(runScore(balancedAllocation(), p, [n]).raw).toEqual({ n: 75 });
  });

  it('uses the population standard deviation for more than two resources', () => {
    const ba = balancedAllocation({ resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'example.com/gpu', weight: 1 }] });
    const g = pod('g', { requests: { cpu: '3', memory: '5000', 'example.com/gpu': '1' } });
    const n = node('n', { cpu: '4', memory: '10000', allocatable: { 'example.com/gpu': 4 } });
    // 0.75, 0.5, 0.25: std = sqrt(0.125 / 3) = 0.204 -> 79
    expect(runScore(ba, g, [n]).raw).toEqual({ n: 79 });
  });

  it('skips best-effort pods', () => {
    const run = runScore(balancedAllocation(), pod('be'), [node('n')]);
    expect(run.skipped).toBe(true);
    expect(run.raw).toEqual({ n: 0 });
  });
});
