import { describe, expect, it } from 'vitest';
import type { ControllerRevision, Pod, StatefulSet } from '@skiff/api';
import { completeRollingUpdate, countReplicas, inconsistentStatus, newStatus, toStatusObject, untilNextAvailable } from './status.ts';

const rev = (name: string): ControllerRevision => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name }, revision: 1 });
const set: StatefulSet = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', generation: 4 }, spec: { replicas: 3, selector: {}, template: {} } };
const NOW = Date.parse('2024-01-01T00:01:00Z');

function pod(name: string, revision: string, phase?: string, readySince?: string, deleting = false): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: { 'controller-revision-hash': revision }, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    ...(phase ? { status: { phase: phase as 'Running', conditions: readySince ? [{ type: 'Ready', status: 'True', lastTransitionTime: readySince }] : [] } } : {}),
  };
}

describe('countReplicas', () => {
  it('counts created, ready, available, current and updated pods', () => {
    const s = newStatus(set, rev('web-a'), rev('web-b'), 0);
    countReplicas(s, 10, NOW, [
      pod('web-0', 'web-a', 'Running', '2024-01-01T00:00:00Z'), // ready and available
      pod('web-1', 'web-b', 'Running', '2024-01-01T00:00:55Z'), // ready, not yet available
      pod('web-2', 'web-b', 'Pending'),
      pod('web-3', 'web-b'), // planned, not created
      pod('web-4', 'web-a', 'Running', '2024-01-01T00:00:00Z', true), // terminating: counted, but at no revision
    ]);
    expect(s).toMatchObject({ observedGeneration: 4, replicas: 4, readyReplicas: 3, availableReplicas: 2, currentReplicas: 1, updatedReplicas: 2 });
  });
});

describe('completeRollingUpdate', () => {
  it('makes the update revision current once every replica is updated and ready', () => {
    const s = { ...newStatus(set, rev('web-a'), rev('web-b'), 0), replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentReplicas: 0 };
    completeRollingUpdate(set, s);
    expect(s).toMatchObject({ currentRevision: 'web-b', currentReplicas: 3 });
    const partial = { ...newStatus(set, rev('web-a'), rev('web-b'), 0), replicas: 3, readyReplicas: 2, updatedReplicas: 3 };
    completeRollingUpdate(set, partial);
    expect(partial.currentRevision).toBe('web-a');
    const onDelete = { ...set, spec: { ...set.spec!, updateStrategy: { type: 'OnDelete' as const } } };
    const od = { ...newStatus(set, rev('web-a'), rev('web-b'), 0), replicas: 3, readyReplicas: 3, updatedReplicas: 3 };
    completeRollingUpdate(onDelete, od);
    expect(od.currentRevision).toBe('web-a');
  });
});

describe('writing status', () => {
  it('writes only when a compared field changed', () => {
    const s = newStatus(set, rev('web-a'), rev('web-a'), 0);
    s.replicas = 3;
    s.readyReplicas = 3;
    const stored = { ...set, status: toStatusObject(s) };
    expect(inconsistentStatus(stored, s)).toBe(false);
    expect(inconsistentStatus(stored, { ...s, readyReplicas: 2 })).toBe(true);
    expect(inconsistentStatus(stored, { ...s, observedGeneration: 5 })).toBe(true);
    expect(inconsistentStatus(stored, { ...s, observedGeneration: 3 })).toBe(false);
  });

  it('serializes as apps/v1 does: zero counters left out, replicas, availableReplicas and collisionCount kept', () => {
    expect(toStatusObject(newStatus({ ...set, metadata: { name: 'web' } }, rev('web-a'), rev('web-a'), 0))).toEqual({
      replicas: 0, availableReplicas: 0, collisionCount: 0, currentRevision: 'web-a', updateRevision: 'web-a',
    });
  });
});

describe('untilNextAvailable', () => {
  it('is the wait until the soonest ready pod has been ready for minReadySeconds', () => {
    const pods = [pod('a', 'x', 'Running', '2024-01-01T00:00:55Z'), pod('b', 'x', 'Running', '2024-01-01T00:00:52Z'), pod('c', 'x', 'Running', '2024-01-01T00:00:00Z')];
    expect(untilNextAvailable(pods, 10, NOW)).toBe(2001);
    expect(untilNextAvailable([pod('c', 'x', 'Running', '2024-01-01T00:00:00Z'), pod('d', 'x', 'Pending')], 10, NOW)).toBeUndefined();
  });
});
