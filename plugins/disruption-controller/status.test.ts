import { describe, expect, it } from 'vitest';
import type { Pod, PodDisruptionBudget } from '@skiff/api';
import { goLabelSelectorString } from './events.ts';
import { buildDisruptedPodMap, conditionsAreUpToDate, countHealthyPods, DELETION_TIMEOUT_MS, failSafeStatus, nextStatus } from './status.ts';

const T = Date.parse('2025-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const pod = (name: string, ready = true, deleting = false): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', ...(deleting ? { deletionTimestamp: iso(T) } : {}) },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const pdb = (status?: PodDisruptionBudget['status'], generation = 1): PodDisruptionBudget => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'p', namespace: 'ns', generation },
  spec: { minAvailable: 1 },
  status,
});

describe('disruptedPods', () => {
  const pods = [pod('fresh'), pod('old'), pod('dying', true, true), pod('plain')];
  const at = { fresh: iso(T - 30_000), old: iso(T - DELETION_TIMEOUT_MS - 1000), dying: iso(T - 1000), gone: iso(T - 1000) };

  it('keeps entries of live pods within DeletionTimeout, and says when the earliest runs out', () => {
    const r = buildDisruptedPodMap(pods, pdb({ disruptedPods: at, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }), T);
    expect(r.disruptedPods).toEqual({ fresh: at.fresh });
    expect(r.recheckAt).toBe(T - 30_000 + DELETION_TIMEOUT_MS);
    // the timed-out pod is still there: an Event says so; terminating and vanished pods just drop out
    expect(r.notDeleted.map((p) => p.metadata.name)).toEqual(['old']);
  });

  it('does not count disrupted, terminating or unready pods as healthy', () => {
    expect(countHealthyPods([...pods, pod('sick', false)], { fresh: at.fresh }, T)).toBe(2); // old, plain
    expect(countHealthyPods(pods, {}, T)).toBe(3);
    // an entry past its timeout counts the pod again
    expect(countHealthyPods(pods, { fresh: iso(T - DELETION_TIMEOUT_MS - 1) }, T)).toBe(3);
  });
});

describe('nextStatus', () => {
  const counts = { currentHealthy: 3, desiredHealthy: 2, expectedCount: 3, disruptedPods: {} };

  it('computes disruptionsAllowed and the DisruptionAllowed condition', () => {
    const s = nextStatus(pdb(undefined, 4), counts, '2025-01-01T00:00:00Z')!;
    expect(s).toEqual({
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      observedGeneration: 4,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 4, lastTransitionTime: '2025-01-01T00:00:00Z' }],
    });
    const p = pdb(s, 4);
    expect(conditionsAreUpToDate(p)).toBe(true);
    // nothing changed: nothing to write
    expect(nextStatus(p, counts, '2025-01-01T00:05:00Z')).toBeUndefined();
    // a new generation is written even when the counts agree
    expect(nextStatus(pdb(s, 5), counts, '2025-01-01T00:05:00Z')?.observedGeneration).toBe(5);
  });

  it('allows nothing when too few are healthy or no pod is expected; the transition time moves with the status', () => {
    const first = nextStatus(pdb(undefined), counts, '2025-01-01T00:00:00Z')!;
    const low = nextStatus(pdb(first), { ...counts, currentHealthy: 1 }, '2025-01-01T00:01:00Z')!;
    expect(low.disruptionsAllowed).toBe(0);
    expect(low.conditions).toEqual([{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: 1, lastTransitionTime: '2025-01-01T00:01:00Z' }]);
    const none = nextStatus(pdb(undefined), { currentHealthy: 2, desiredHealthy: 0, expectedCount: 0, disruptedPods: {} }, '2025-01-01T00:00:00Z')!;
    expect(none.disruptionsAllowed).toBe(0);
  });

  it('writes when disruptedPods changed, and leaves out an empty map', () => {
    const s = nextStatus(pdb(undefined), { ...counts, disruptedPods: { a: '2025-01-01T00:00:00Z' } }, 'x')!;
    expect(s.disruptedPods).toEqual({ a: '2025-01-01T00:00:00Z' });
    const cleared = nextStatus(pdb(s), counts, 'x')!;
    expect(cleared).toBeDefined();
    expect('disruptedPods' in cleared).toBe(false);
  });

  it('fails safe: zero allowed, DisruptionAllowed False with reason SyncFailed and the error', () => {
    const ok = nextStatus(pdb(undefined), counts, '2025-01-01T00:00:00Z')!;
    const failed = failSafeStatus(pdb(ok), 'found no controllers for pod "x"', '2025-01-01T00:02:00Z');
    expect(failed.disruptionsAllowed).toBe(0);
    expect(failed.currentHealthy).toBe(3);
    expect(failed.conditions).toEqual([
      { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "x"', observedGeneration: 1, lastTransitionTime: '2025-01-01T00:02:00Z' },
    ]);
    expect(conditionsAreUpToDate(pdb(failed))).toBe(false); // the next good sync rewrites it
  });
});

describe('goLabelSelectorString', () => {
  it("prints a LabelSelector as Go's %v does", () => {
    expect(goLabelSelectorString({ matchLabels: { b: '2', a: '1' } })).toBe('&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{},}');
    expect(goLabelSelectorString({ matchExpressions: [{ key: 'k', operator: 'In', values: ['x', 'y'] }] })).toBe(
      '&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[x y],},},}',
    );
  });
});
