import { describe, expect, it } from 'vitest';
import type { Pod } from '@skiff/api';
import type { ReplicaOwner } from './kinds.ts';
import { calculateStatus, nextAvailableInMs, REPLICA_FAILURE, statusUnchanged } from './status.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function owner(replicas: number, minReadySeconds = 0, status?: ReplicaOwner['status'], generation = 1): ReplicaOwner {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'rs', namespace: 'default', uid: 'u', generation },
    spec: { replicas, minReadySeconds, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x', tier: 'web' } } } },
    status,
  };
}

function pod(labels: Record<string, string>, readyAgo?: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels },
    status: readyAgo === undefined ? {} : { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(readyAgo) }] },
  };
}

const full = { app: 'x', tier: 'web' };

describe('calculateStatus', () => {
  it('counts replicas, fully labeled, ready and available pods', () => {
    const pods = [pod(full, 100), pod(full, 3), pod({ app: 'x' }, 100), pod(full)];
    const s = calculateStatus(owner(4, 10), pods, undefined, NOW);
    expect(s).toMatchObject({ replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 2 });
    expect(s.conditions).toBeUndefined();
  });

  it('adds ReplicaFailure (FailedCreate / FailedDelete) on an error, keeps it while failing, removes it on success', () => {
    const failed = calculateStatus(owner(3), [pod(full)], new Error('quota exceeded'), NOW);
    expect(failed.conditions).toEqual([expect.objectContaining({ type: REPLICA_FAILURE, status: 'True', reason: 'FailedCreate', message: 'quota exceeded' })]);
    const again = calculateStatus(owner(3, 0, failed), [pod(full)], new Error('other'), NOW);
    expect(again.conditions).toEqual(failed.conditions); // not replaced while one is there
    expect(calculateStatus(owner(0), [pod(full)], new Error('no'), NOW).conditions?.[0].reason).toBe('FailedDelete');
    const ok = calculateStatus(owner(3, 0, failed), [pod(full), pod(full), pod(full)], undefined, NOW);
    expect(ok.conditions).toBeUndefined();
  });

  it('counts terminating pods only when given (ReplicaSets have the field, ReplicationControllers not)', () => {
    expect(calculateStatus(owner(1), [pod(full)], undefined, NOW, 2).terminatingReplicas).toBe(2);
    expect(calculateStatus(owner(1), [pod(full)], undefined, NOW).terminatingReplicas).toBeUndefined();
  });

  it('keeps other conditions when removing ReplicaFailure', () => {
    const other = { type: 'Other', status: 'True' as const };
    const s = calculateStatus(owner(1, 0, { replicas: 1, conditions: [other, { type: REPLICA_FAILURE, status: 'True' }] }), [pod(full)], undefined, NOW);
    expect(s.conditions).toEqual([other]);
  });
});

describe('statusUnchanged', () => {
  const st = { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 3 };
  it('is true only when counts, conditions and observedGeneration agree', () => {
    expect(statusUnchanged(owner(2, 0, st, 3), { ...st })).toBe(true);
    expect(statusUnchanged(owner(2, 0, st, 4), { ...st })).toBe(false); // a new generation to observe
    expect(statusUnchanged(owner(2, 0, st, 3), { ...st, readyReplicas: 2 })).toBe(false);
    expect(statusUnchanged(owner(2, 0, st, 3), { ...st, terminatingReplicas: 0 })).toBe(false);
    expect(statusUnchanged(owner(2, 0, { ...st, terminatingReplicas: 1 }, 3), { ...st, terminatingReplicas: 1 })).toBe(true);
    expect(statusUnchanged(owner(2, 0, st, 3), { ...st, conditions: [{ type: REPLICA_FAILURE, status: 'True' }] })).toBe(false);
  });
});

describe('nextAvailableInMs', () => {
  it('is the time until the first ready pod passes minReadySeconds', () => {
    expect(nextAvailableInMs([pod(full, 3), pod(full, 7), pod(full, 100), pod(full)], 10, NOW)).toBe(3001);
    expect(nextAvailableInMs([pod(full, 100)], 10, NOW)).toBeUndefined();
    expect(nextAvailableInMs([pod(full, 1)], 0, NOW)).toBeUndefined();
  });
});
