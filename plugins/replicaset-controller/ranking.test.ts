import { describe, expect, it } from 'vitest';
import type { Pod } from '@skiff/api';
import { deletionCost, podsToDelete, POD_DELETION_COST, ranksByRelatedPodsOnSameNode, sortByDeletionOrder } from './ranking.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface P {
  node?: string;
  phase?: string;
  ready?: boolean;
  readyAgo?: number;
  cost?: string;
  restarts?: number;
  sidecarRestarts?: number;
  createdAgo?: number;
  deleting?: boolean;
}

function pod(name: string, p: P = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      creationTimestamp: ago(p.createdAgo ?? 100),
      annotations: p.cost !== undefined ? { [POD_DELETION_COST]: p.cost } : undefined,
      deletionTimestamp: p.deleting ? ago(0) : undefined,
    },
    spec: {
      nodeName: p.node,
      containers: [{ name: 'app', image: 'x' }],
      initContainers: p.sidecarRestarts !== undefined ? [{ name: 'side', image: 'x', restartPolicy: 'Always' }] : undefined,
    },
    status: {
      phase: (p.phase ?? 'Running') as 'Running',
      conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False', lastTransitionTime: ago(p.readyAgo ?? 50) }],
      containerStatuses: [{ name: 'app', ready: !!p.ready, restartCount: p.restarts ?? 0, image: 'x', imageID: '' }],
      initContainerStatuses: p.sidecarRestarts !== undefined ? [{ name: 'side', ready: true, restartCount: p.sidecarRestarts, image: 'x', imageID: '' }] : undefined,
    },
  };
}

const order = (pods: Pod[], ranks: number[] = []) => sortByDeletionOrder(pods, ranks, NOW).map((p) => p.metadata.name);
/** Both input orders give `first` first: the comparison does not depend on where the pods started. */
const first = (a: Pod, b: Pod, ranks: [number, number] = [0, 0]) => {
  const one = order([a, b], ranks)[0];
  const two = order([b, a], [ranks[1], ranks[0]])[0];
  expect(two).toBe(one);
  return one;
};

describe('deletion order (ActivePodsWithRanks)', () => {
  it('1. unassigned before assigned', () => {
    expect(first(pod('a', { node: 'n1', phase: 'Pending' }), pod('b', { phase: 'Running', ready: true }))).toBe('b');
  });

  it('2. Pending before Unknown before Running', () => {
    const pods = [pod('run', { node: 'n', phase: 'Running' }), pod('unk', { node: 'n', phase: 'Unknown' }), pod('pend', { node: 'n', phase: 'Pending' })];
    expect(order(pods)).toEqual(['pend', 'unk', 'run']);
  });

  it('3. not ready before ready', () => {
    expect(first(pod('r', { node: 'n', ready: true }), pod('nr', { node: 'n', ready: false }))).toBe('nr');
  });

  it('4. lower pod-deletion-cost first; a malformed cost counts as 0', () => {
    expect(first(pod('hi', { node: 'n', ready: true, cost: '10' }), pod('lo', { node: 'n', ready: true, cost: '-5' }))).toBe('lo');
    expect(first(pod('bad', { node: 'n', ready: true, cost: 'x1' }), pod('one', { node: 'n', ready: true, cost: '1' }))).toBe('bad');
    expect(deletionCost(pod('big', { cost: '3000000000' }))).toBe(0);
    expect(deletionCost(pod('neg', { cost: '-7' }))).toBe(-7);
  });

  it('5. more related pods on the same node first', () => {
    expect(first(pod('a', { node: 'n1', ready: true }), pod('b', { node: 'n2', ready: true }), [1, 3])).toBe('b');
  });

  it('6. ready more recently first, in log2 buckets of the time since', () => {
    expect(first(pod('old', { node: 'n', ready: true, readyAgo: 1000 }), pod('new', { node: 'n', ready: true, readyAgo: 10 }))).toBe('new');
    // the same ready time: restarts decide
    expect(first(pod('a', { node: 'n', ready: true, readyAgo: 100 }), pod('b', { node: 'n', ready: true, readyAgo: 100, restarts: 2 }))).toBe('b');
  });

  it('6. in one bucket with different times, the uid decides (kube\'s LogarithmicScaleDown)', () => {
    // 64.5 s and 65 s ago are in bucket floor(log2(6.45e10 ns)) = 35; uid-a < uid-b
    const a = pod('a', { node: 'n', ready: true, readyAgo: 64.5, restarts: 0 });
    const b = pod('b', { node: 'n', ready: true, readyAgo: 65, restarts: 9 });
    a.status!.conditions![0].lastTransitionTime = new Date(NOW - 64_500).toISOString();
    expect(first(a, b)).toBe('a');
  });

  it('7. more restarts first, then more sidecar restarts', () => {
    expect(first(pod('few', { node: 'n', ready: true, restarts: 1 }), pod('many', { node: 'n', ready: true, restarts: 4 }))).toBe('many');
    expect(first(pod('s1', { node: 'n', ready: true, sidecarRestarts: 1 }), pod('s3', { node: 'n', ready: true, sidecarRestarts: 3 }))).toBe('s3');
  });

  it('8. created more recently first', () => {
    expect(first(pod('old', { node: 'n', createdAgo: 5000 }), pod('new', { node: 'n', createdAgo: 30 }))).toBe('new');
  });

  it('criteria apply in kube\'s order', () => {
    const pods = [
      pod('ready-costly', { node: 'n', ready: true, cost: '100' }),
      pod('ready-restarted', { node: 'n', ready: true, restarts: 5 }),
      pod('ready', { node: 'n', ready: true }),
      pod('running', { node: 'n' }),
      pod('unknown', { node: 'n', phase: 'Unknown' }),
      pod('pending', { node: 'n', phase: 'Pending' }),
      pod('unassigned', { phase: 'Pending' }),
    ];
    expect(order(pods)).toEqual(['unassigned', 'pending', 'unknown', 'running', 'ready-restarted', 'ready', 'ready-costly']);
  });
});

describe('ranks and podsToDelete', () => {
  it('counts active related pods per node', () => {
    const related = [pod('r1', { node: 'n1' }), pod('r2', { node: 'n1' }), pod('r3', { node: 'n2' }), pod('gone', { node: 'n2', deleting: true }), pod('r4')];
    expect(ranksByRelatedPodsOnSameNode([pod('a', { node: 'n1' }), pod('b', { node: 'n2' }), pod('c', { node: 'n3' }), pod('d')], related)).toEqual([2, 1, 0, 0]);
  });

  it('takes the least useful `diff` pods, all when diff covers them', () => {
    const pods = [pod('a', { node: 'n', ready: true }), pod('b', { node: 'n' }), pod('c')];
    expect(podsToDelete(pods, [], 2, NOW).map((p) => p.metadata.name)).toEqual(['c', 'b']);
    expect(podsToDelete(pods, [], 3, NOW)).toHaveLength(3);
  });
});
