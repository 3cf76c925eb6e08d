import { describe, expect, it } from 'vitest';
import type { Pod } from '@skiff/api';
import { byNodeOf, ds, node, pod } from './fixtures.ts';
import { findUpdatedPodsOnNode, planRollingUpdate, updatedDesiredNodeCounts } from './rolling.ts';

const nodes = (n: number) => Array.from({ length: n }, (_, i) => node(`n${i}`));
const names = (ps: Pod[]) => ps.map((p) => p.metadata.name).sort();

describe('updatedDesiredNodeCounts', () => {
  it('scales percentages up over the nodes that should run a pod; zero and zero means one unavailable', () => {
    const byNode = new Map();
    expect(updatedDesiredNodeCounts(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 0 } }), nodes(10), byNode)).toEqual({ maxSurge: 0, maxUnavailable: 3, desiredNumberScheduled: 10 });
    expect(byNode.size).toBe(10);
    expect(updatedDesiredNodeCounts(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }), nodes(3), new Map())).toMatchObject({ maxUnavailable: 1, maxSurge: 0 });
    expect(() => updatedDesiredNodeCounts(ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 'x' } }), nodes(1), new Map())).toThrow(/MaxUnavailable/);
  });
});

describe('findUpdatedPodsOnNode', () => {
  it('finds one new and one old pod; more of either is not ok', () => {
    const n = pod('a');
    const o = pod('a', { hash: 'old' });
    expect(findUpdatedPodsOnNode(ds(), [n, o, pod('a', { hash: 'old', deleting: true })], 'new')).toEqual({ newPod: n, oldPod: o, ok: true });
    expect(findUpdatedPodsOnNode(ds(), [o, pod('a', { hash: 'old' })], 'new').ok).toBe(false);
  });
});

describe('planRollingUpdate without surge', () => {
  const strategy = ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } });

  it('deletes up to maxUnavailable available old pods', () => {
    const pods = nodes(6).map((n) => pod(n.metadata.name!, { hash: 'old' }));
    const p = planRollingUpdate({ ds: strategy, nodes: nodes(6), byNode: byNodeOf(pods), hash: 'new', now: Date.now() });
    expect(p.deletes).toHaveLength(2);
    expect(p.nodesToCreate).toEqual([]);
  });

  it('counts unavailable new pods and nodes without a pod against the budget', () => {
    const pods = [pod('n0', { ready: false }), ...['n2', 'n3', 'n4', 'n5'].map((n) => pod(n, { hash: 'old' }))];
    // n0 new but not ready, n1 has none: the budget of 2 is spent
    expect(planRollingUpdate({ ds: strategy, nodes: nodes(6), byNode: byNodeOf(pods), hash: 'new', now: Date.now() }).deletes).toEqual([]);
    const half = [pod('n0', { ready: false }), pod('n1'), ...['n2', 'n3', 'n4', 'n5'].map((n) => pod(n, { hash: 'old' }))];
    expect(planRollingUpdate({ ds: strategy, nodes: nodes(6), byNode: byNodeOf(half), hash: 'new', now: Date.now() }).deletes).toHaveLength(1);
  });

  it('replaces an unavailable old pod at once, whatever the budget', () => {
    const sick = pod('n0', { hash: 'old', ready: false });
    const pods = [sick, pod('n1', { ready: false }), pod('n2', { ready: false }), pod('n3', { hash: 'old' })];
    const p = planRollingUpdate({ ds: strategy, nodes: nodes(4), byNode: byNodeOf(pods), hash: 'new', now: Date.now() });
    expect(names(p.deletes)).toEqual([sick.metadata.name]);
  });

  it('honours minReadySeconds: a pod ready for less is not available yet', () => {
    const slow = ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, 30);
    const pods = [pod('n0', { readyFor: 5 }), pod('n1', { hash: 'old' })];
    expect(planRollingUpdate({ ds: slow, nodes: nodes(2), byNode: byNodeOf(pods), hash: 'new', now: Date.now() }).deletes).toEqual([]);
    const settled = [pod('n0', { readyFor: 60 }), pod('n1', { hash: 'old' })];
    expect(planRollingUpdate({ ds: slow, nodes: nodes(2), byNode: byNodeOf(settled), hash: 'new', now: Date.now() }).deletes).toHaveLength(1);
  });
});

describe('planRollingUpdate with surge', () => {
  const strategy = ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 2 } });

  it('creates new pods beside up to maxSurge available old ones', () => {
    const pods = nodes(5).map((n) => pod(n.metadata.name!, { hash: 'old' }));
    const p = planRollingUpdate({ ds: strategy, nodes: nodes(5), byNode: byNodeOf(pods), hash: 'new', now: Date.now() });
    expect(p.nodesToCreate).toEqual(['n0', 'n1']);
    expect(p.deletes).toEqual([]);
  });

  it('deletes the old pod once the new one is available; surges at once where the old one is unavailable', () => {
    const old0 = pod('n0', { hash: 'old' });
    const pods = [old0, pod('n0'), pod('n1', { hash: 'old' }), pod('n1', { ready: false }), pod('n2', { hash: 'old', ready: false }), pod('n3', { hash: 'old' })];
    const p = planRollingUpdate({ ds: strategy, nodes: nodes(4), byNode: byNodeOf(pods), hash: 'new', now: Date.now() });
    expect(names(p.deletes)).toEqual([old0.metadata.name]);
    // n1 is surging (1 of 2), so one more candidate: n3; n2 is replaced regardless
    expect(p.nodesToCreate).toEqual(['n2', 'n3']);
  });

  it('gives up a pod on a node that should no longer run one only when another is available in its place', () => {
    const tainted = node('n1', [{ key: 'k', effect: 'NoSchedule' }]);
    const leaving = pod('n1', { hash: 'old' });
    const base = [pod('n0', { hash: 'old' }), leaving];
    const p = planRollingUpdate({ ds: strategy, nodes: [node('n0'), tainted], byNode: byNodeOf(base), hash: 'new', now: Date.now() });
    // one node desired, two available: one can go
    expect(names(p.deletes)).toEqual([leaving.metadata.name]);
    const unready = [pod('n0', { hash: 'old', ready: false }), pod('n1', { hash: 'old' })];
    expect(planRollingUpdate({ ds: strategy, nodes: [node('n0'), tainted], byNode: byNodeOf(unready), hash: 'new', now: Date.now() }).deletes).toEqual([]);
  });
});
