import { describe, expect, it } from 'vitest';
import { byNodeOf, ds, node, pod } from './fixtures.ts';
import { computeCounts, statusUpToDate } from './status.ts';

describe('DaemonSet status', () => {
  it('counts desired, scheduled, misscheduled, ready, available and updated nodes, by the oldest pod on each', () => {
    const d = ds(undefined, 60);
    const nodes = [node('a'), node('b'), node('c'), node('d'), node('x', [{ key: 'k', effect: 'NoSchedule' }])];
    const pods = [
      pod('a', { created: 1 }), pod('a', { hash: 'old', created: 2, ready: false }), // oldest: new, ready long ago
      pod('b', { hash: 'old', readyFor: 10 }), // ready, not yet available
      pod('c', { ready: false }),
      pod('x'), // misscheduled
      pod('gone'), // a node not in the list: not counted
    ];
    const c = computeCounts(d, nodes, byNodeOf(pods), 'new', Date.now());
    expect(c).toEqual({
      desiredNumberScheduled: 4, currentNumberScheduled: 3, numberMisscheduled: 1, numberReady: 2,
      updatedNumberScheduled: 2, numberAvailable: 1, numberUnavailable: 3,
    });
    expect(statusUpToDate({ ...d, status: { ...c, observedGeneration: 1 } }, c)).toBe(true);
    expect(statusUpToDate({ ...d, status: { ...c, observedGeneration: 0 } }, c)).toBe(false);
    expect(statusUpToDate({ ...d, status: { ...c, numberReady: 1, observedGeneration: 1 } }, c)).toBe(false);
  });
});
