import { describe, expect, test } from 'vitest';
import {
  getPodCondition,
  isPodActive,
  isPodAvailable,
  isPodReady,
  isPodScheduled,
  isPodTerminal,
  isPodTerminating,
  podPhase,
  podReadyCondition,
  updatePodCondition,
} from './pods.ts';
import type { Pod, PodStatus } from './types/core-pod.ts';

const pod = (status?: PodStatus, meta: Pod['metadata'] = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...meta }, spec: { containers: [] }, status });
const ready = (status: 'True' | 'False', lastTransitionTime?: string): PodStatus => ({ phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status, lastTransitionTime }] });

describe('conditions and readiness', () => {
  test('getPodCondition and podReadyCondition find by type', () => {
    const s = ready('True');
    expect(getPodCondition(s, 'PodScheduled')?.status).toBe('True');
    expect(getPodCondition(s, 'Initialized')).toBeUndefined();
    expect(podReadyCondition(s)?.type).toBe('Ready');
    expect(podReadyCondition(undefined)).toBeUndefined();
  });
  test('isPodReady needs Ready=True', () => {
    expect(isPodReady(pod(ready('True')))).toBe(true);
    expect(isPodReady(pod(ready('False')))).toBe(false);
    expect(isPodReady(pod())).toBe(false);
  });
  test('isPodAvailable: ready for strictly more than minReadySeconds', () => {
    const p = pod(ready('True', '2024-01-01T00:00:00Z'));
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    expect(isPodAvailable(p, 0, t0)).toBe(true);
    expect(isPodAvailable(p, 10, t0 + 9_000)).toBe(false);
    expect(isPodAvailable(p, 10, t0 + 10_000)).toBe(false);
    expect(isPodAvailable(p, 10, new Date(t0 + 10_001))).toBe(true);
    expect(isPodAvailable(p, 10, '2024-01-01T00:01:00Z')).toBe(true);
    expect(isPodAvailable(pod(ready('False', '2024-01-01T00:00:00Z')), 0, t0 + 1e6)).toBe(false);
    expect(isPodAvailable(pod(ready('True')), 5, t0)).toBe(false);
  });
});

describe('lifecycle', () => {
  test('phase defaults to Pending', () => {
    expect(podPhase(pod())).toBe('Pending');
    expect(podPhase(pod({ phase: 'Failed' }))).toBe('Failed');
  });
  test('active, terminal, terminating', () => {
    const running = pod({ phase: 'Running' });
    const done = pod({ phase: 'Succeeded' });
    const deleting = pod({ phase: 'Running' }, { deletionTimestamp: '2024-01-01T00:00:00Z' });
    const deletedDone = pod({ phase: 'Failed' }, { deletionTimestamp: '2024-01-01T00:00:00Z' });
    expect([running, done, deleting, deletedDone].map(isPodActive)).toEqual([true, false, false, false]);
    expect([running, done, deleting, deletedDone].map(isPodTerminal)).toEqual([false, true, false, true]);
    expect([running, done, deleting, deletedDone].map(isPodTerminating)).toEqual([false, false, true, false]);
    expect(isPodActive(pod())).toBe(true);
  });
  test('scheduled means a nodeName', () => {
    expect(isPodScheduled(pod())).toBe(false);
    expect(isPodScheduled({ ...pod(), spec: { containers: [], nodeName: 'n1' } })).toBe(true);
  });
});

describe('updatePodCondition', () => {
  test('adds, keeps lastTransitionTime when status is unchanged, moves it when it changes', () => {
    const s: PodStatus = {};
    expect(updatePodCondition(s, { type: 'Ready', status: 'False', reason: 'ContainersNotReady' }, Date.parse('2024-01-01T00:00:00Z'))).toBe(true);
    expect(s.conditions).toEqual([{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: '2024-01-01T00:00:00Z' }]);
    expect(updatePodCondition(s, { type: 'Ready', status: 'False', reason: 'ContainersNotReady' }, Date.parse('2024-01-01T00:05:00Z'))).toBe(false);
    expect(updatePodCondition(s, { type: 'Ready', status: 'False', reason: 'Other' }, Date.parse('2024-01-01T00:06:00Z'))).toBe(true);
    expect(s.conditions![0].lastTransitionTime).toBe('2024-01-01T00:00:00Z');
    expect(updatePodCondition(s, { type: 'Ready', status: 'True' }, Date.parse('2024-01-01T00:07:00Z'))).toBe(true);
    expect(s.conditions).toEqual([{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:07:00Z' }]);
  });
});
