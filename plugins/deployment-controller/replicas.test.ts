import { describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '@skiff/api';
import { getProportion, isSaturated, maxSurge, maxUnavailable, newRSNewReplicas, resolveFenceposts } from './replicas.ts';

const d = (replicas: number, surge: number | string = '25%', unavailable: number | string = '25%', type: 'RollingUpdate' | 'Recreate' = 'RollingUpdate'): Deployment => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
  spec: { replicas, selector: {}, template: {}, strategy: type === 'Recreate' ? { type } : { type, rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } },
});
const rs = (name: string, replicas: number, annotations: Record<string, string> = {}, available = 0): ReplicaSet => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, annotations }, spec: { replicas, selector: {} }, status: { replicas, availableReplicas: available },
});

describe('replica arithmetic', () => {
  it('resolves the fenceposts: surge rounds up, unavailable down, never both 0', () => {
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts('10%', '10%', 100)).toEqual({ surge: 10, unavailable: 10 });
    expect(resolveFenceposts('1%', '1%', 2)).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts('0%', '1%', 2)).toEqual({ surge: 0, unavailable: 1 }); // both 0: one may be unavailable
    expect(resolveFenceposts(0, 0, 5)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts(3, 2, 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(() => resolveFenceposts('x', 1, 3)).toThrow();
  });

  it('bounds maxUnavailable by the replicas and gives Recreate no budget', () => {
    expect(maxUnavailable(d(2, 0, 5))).toBe(2);
    expect(maxUnavailable(d(0, 1, 1))).toBe(0);
    expect(maxSurge(d(10, '25%'))).toBe(3);
    expect(maxSurge(d(10, 1, 1, 'Recreate'))).toBe(0);
    expect(maxUnavailable(d(10, 1, 1, 'Recreate'))).toBe(0);
  });

  it('grows the new RS up to replicas + maxSurge pods in all', () => {
    const old = rs('old', 10);
    const fresh = rs('new', 0);
    expect(newRSNewReplicas(d(10, 3, 2), [old, fresh], fresh)).toBe(3);
    expect(newRSNewReplicas(d(10, 3, 2), [rs('old', 10), rs('new', 3)], rs('new', 3))).toBe(3);
    expect(newRSNewReplicas(d(10, 3, 2), [rs('old', 8), rs('new', 3)], rs('new', 3))).toBe(5);
    const n5 = rs('new', 5);
    expect(newRSNewReplicas(d(10, 3, 2), [rs('old', 5), n5], n5)).toBe(8);
    const n9 = rs('new', 9);
    expect(newRSNewReplicas(d(10, 3, 2), [rs('old', 0), n9], n9)).toBe(10); // never above replicas
    expect(newRSNewReplicas(d(10, 3, 2, 'Recreate'), [old, fresh], fresh)).toBe(10);
    // an old RS whose pods are not deleted yet still counts them
    const stale = { ...rs('old', 8), status: { replicas: 10 } };
    const n3 = rs('new', 3);
    expect(newRSNewReplicas(d(10, 3, 2), [stale, n3], n3)).toBe(3);
  });

  it('is saturated when the new RS holds every replica, available, and its annotation agrees', () => {
    expect(isSaturated(d(3), rs('new', 3, { 'deployment.kubernetes.io/desired-replicas': '3' }, 3))).toBe(true);
    expect(isSaturated(d(3), rs('new', 3, { 'deployment.kubernetes.io/desired-replicas': '3' }, 2))).toBe(false);
    expect(isSaturated(d(3), rs('new', 3, {}, 3))).toBe(false);
    expect(isSaturated(d(3), rs('new', 3, { 'deployment.kubernetes.io/desired-replicas': '2' }, 3))).toBe(false);
  });

  it('spreads a scaling event in proportion to max-replicas (kube docs: 10 -> 15 during a stuck rollout)', () => {
    const dep = d(15, 3, 2);
    const ann = { 'deployment.kubernetes.io/max-replicas': '13' };
    const old = rs('old', 8, ann);
    const fresh = rs('new', 5, ann);
    // 15 + 3 allowed, 13 there: 5 to add, larger RS first
    const a = getProportion(old, dep, 5, 0);
    const b = getProportion(fresh, dep, 5, a);
    expect([a, b]).toEqual([3, 2]);
    // scaling down to 0 takes all of an RS
    expect(getProportion(old, d(0, 3, 2), -13, 0)).toBe(-8);
    // never past what is left to hand out
    expect(getProportion(old, dep, 2, 0)).toBe(2);
    expect(getProportion(rs('zero', 0, ann), dep, 5, 0)).toBe(0);
    // without the annotation: the deployment's current size
    expect(getProportion(rs('old', 8), { ...dep, status: { replicas: 13 } }, 5, 0)).toBe(3);
  });
});
