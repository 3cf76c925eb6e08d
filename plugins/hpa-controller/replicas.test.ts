// The replica calculator on kube's kinds of cases: plain scale up and down, the tolerance, unready
// pods on a scale-up, pods without metrics (0 on a scale-up, max(100%, target) on a scale-down),
// a change of direction, CPU samples from before readiness, AverageValue targets, missing requests.
import { describe, expect, it } from 'vitest';
import type { Pod } from '@skiff/api';
import { groupPods, rawResourceReplicas, resourceReplicas, type CalcOptions, type PodMetricsInfo } from './replicas.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString().replace(/\.\d+Z$/, 'Z');
const o: CalcOptions = { tolerances: { scaleUp: 0.1, scaleDown: 0.1 }, cpuInitializationPeriodMs: 300_000, delayOfInitialReadinessStatusMs: 30_000, now: NOW };

interface P {
  name: string;
  request?: string;
  ready?: boolean;
  phase?: string;
  /** ms ago the pod started / turned ready (default: an hour ago) */
  started?: number;
  readySince?: number;
  deleting?: boolean;
}

function pod(p: P): Pod {
  const started = p.started ?? 3_600_000;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: 'ns', ...(p.deleting ? { deletionTimestamp: iso(0) } : {}) },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests: p.request === '' ? {} : { cpu: p.request ?? '1' } } }] },
    status: {
      phase: (p.phase ?? 'Running') as 'Running',
      startTime: iso(started),
      conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True', lastTransitionTime: iso(p.readySince ?? started) }],
    },
  } as Pod;
}

const pods = (...ps: P[]) => ps.map(pod);
function usage(values: Record<string, number>, sampledAgo = 0, windowMs = 30_000): PodMetricsInfo {
  return new Map(Object.entries(values).map(([k, v]) => [k, { value: v, timestampMs: NOW - sampledAgo, windowMs }]));
}

describe('resourceReplicas (target utilization)', () => {
  it('scales up: ceil(ready pods × utilization / target)', () => {
    const r = resourceReplicas(3, 30, 'cpu', '', pods({ name: 'a' }, { name: 'b' }, { name: 'c' }), usage({ a: 300, b: 500, c: 700 }), o);
    expect(r).toEqual({ replicas: 5, utilization: 50, rawUtilization: 500 });
  });

  it('scales down', () => {
    const ps = pods({ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }, { name: 'e' });
    expect(resourceReplicas(5, 50, 'cpu', '', ps, usage({ a: 100, b: 300, c: 500, d: 250, e: 250 }), o)).toEqual({ replicas: 3, utilization: 28, rawUtilization: 280 });
  });

  it('keeps the count within the tolerance, with requests that differ', () => {
    const ps = pods({ name: 'a', request: '900m' }, { name: 'b', request: '1' }, { name: 'c', request: '1100m' });
    expect(resourceReplicas(3, 100, 'cpu', '', ps, usage({ a: 1010, b: 1030, c: 1020 }), o)).toEqual({ replicas: 3, utilization: 102, rawUtilization: 1020 });
    // 111% is outside
    expect(resourceReplicas(3, 100, 'cpu', '', ps, usage({ a: 1110, b: 1110, c: 1110 }), o).replicas).toBe(4);
  });

  it('counts unready pods as 0 on a scale-up', () => {
    const ps = pods({ name: 'a', ready: false }, { name: 'b' }, { name: 'c' });
    expect(resourceReplicas(3, 30, 'cpu', '', ps, usage({ a: 300, b: 500, c: 700 }), o)).toEqual({ replicas: 4, utilization: 60, rawUtilization: 600 });
  });

  it('does not scale when the unready pods would turn a scale-up into a scale-down', () => {
    const ps = pods({ name: 'a' }, { name: 'b', ready: false }, { name: 'c', ready: false });
    expect(resourceReplicas(3, 30, 'cpu', '', ps, usage({ a: 400, b: 500, c: 700 }), o)).toEqual({ replicas: 3, utilization: 40, rawUtilization: 400 });
  });

  it('treats pending pods as unready and ignores deleting and failed ones', () => {
    const ps = pods({ name: 'a' }, { name: 'b' }, { name: 'p', phase: 'Pending' }, { name: 'x', deleting: true }, { name: 'f', phase: 'Failed' });
    const r = resourceReplicas(4, 50, 'cpu', '', ps, usage({ a: 900, b: 900, x: 10, f: 10 }), o);
    // 90% → with the pending pod at 0: 1800/3000 = 60% → ceil(1.2 × 3) = 4
    expect(r).toEqual({ replicas: 4, utilization: 90, rawUtilization: 900 });
  });

  it('treats pods without metrics as 0 on a scale-up and as max(100%, target) on a scale-down', () => {
    const four = pods({ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' });
    // up: 90% of 3 → 2700/4000 = 67% → ratio 1.34 → ceil(5.36) = 6
    expect(resourceReplicas(4, 50, 'cpu', '', four, usage({ a: 900, b: 900, c: 900 }), o)).toEqual({ replicas: 6, utilization: 90, rawUtilization: 900 });
    // down: 10% of 3, the 4th at 100% → 1300/4000 = 32% → ratio 0.64 → ceil(2.56) = 3
    expect(resourceReplicas(4, 50, 'cpu', '', four, usage({ a: 100, b: 100, c: 100 }), o).replicas).toBe(3);
    // target 200%: the missing pod counts 200% → 2300/4000 = 57% → ratio 0.285 → ceil(1.14) = 2
    expect(resourceReplicas(4, 200, 'cpu', '', four, usage({ a: 100, b: 100, c: 100 }), o).replicas).toBe(2);
  });

  it('does not trust CPU sampled before a starting pod was ready', () => {
    // started a minute ago, ready 10 s ago: a sample of 5 s ago with a 30 s window began before readiness
    const ps = pods({ name: 'hot', started: 60_000, readySince: 10_000 }, { name: 'b' }, { name: 'c' });
    const m = usage({ hot: 1000, b: 500, c: 700 }, 5_000);
    expect(groupPods(ps, m, 'cpu', o).unreadyPods).toEqual(new Set(['hot']));
    expect(resourceReplicas(3, 30, 'cpu', '', ps, m, o)).toEqual({ replicas: 4, utilization: 60, rawUtilization: 600 });
    // memory has no such rule
    expect(groupPods(ps, m, 'memory', o).readyPodCount).toBe(3);
    // past the initialization period: unready only if it never became ready (False since its first 30 s);
    // a pod that was ready and then failed its probe keeps counting with its usage
    const neverReady = pods({ name: 'p', started: 600_000, ready: false, readySince: 590_000 });
    expect(groupPods(neverReady, usage({ p: 1 }), 'cpu', o).unreadyPods.size).toBe(1);
    const wentUnready = pods({ name: 'p', started: 600_000, ready: false, readySince: 60_000 });
    expect(groupPods(wentUnready, usage({ p: 1 }), 'cpu', o).unreadyPods.size).toBe(0);
  });

  it('fails with kube messages', () => {
    expect(() => resourceReplicas(1, 50, 'cpu', '', [], usage({}), o)).toThrow('no pods returned by selector while calculating replica count');
    expect(() => resourceReplicas(1, 50, 'cpu', '', pods({ name: 'a', request: '' }), usage({ a: 1 }), o)).toThrow('missing request for cpu in container c of Pod a');
    expect(() => resourceReplicas(1, 50, 'cpu', '', pods({ name: 'a', phase: 'Pending' }), usage({ a: 1 }), o)).toThrow('did not receive metrics for targeted pods (pods might be unready)');
  });
});

describe('rawResourceReplicas (target average value)', () => {
  it('scales to ceil(pods × average / target)', () => {
    const ps = pods({ name: 'a' }, { name: 'b' }, { name: 'c' });
    expect(rawResourceReplicas(3, 200, 'cpu', ps, usage({ a: 300, b: 500, c: 700 }), o)).toEqual({ replicas: 8, usage: 500 });
    expect(rawResourceReplicas(3, 490, 'cpu', ps, usage({ a: 300, b: 500, c: 700 }), o)).toEqual({ replicas: 3, usage: 500 });
  });

  it('counts missing pods as the target on a scale-down', () => {
    const ps = pods({ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' });
    // 100 avg vs 1000 target; missing at 1000 → (300+1000)/4 = 325 → ratio 0.325 → ceil(1.3) = 2
    expect(rawResourceReplicas(4, 1000, 'cpu', ps, usage({ a: 100, b: 100, c: 100 }), o)).toEqual({ replicas: 2, usage: 100 });
  });
});
