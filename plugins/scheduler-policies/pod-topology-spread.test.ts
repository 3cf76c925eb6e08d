import { describe, expect, it } from 'vitest';
import type { TopologySpreadConstraint } from './pod-spec.ts';
import { ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH, podTopologySpread } from './pod-topology-spread.ts';
import { node, pod, reasons, runFilter, runScore } from './testing.ts';

const web = (name: string, o: Parameters<typeof pod>[1] = {}) => pod(name, { labels: { app: 'web' }, ...o });
const spread = (o: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey: 'zone',
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: { app: 'web' } },
  ...o,
});
const SKEW = [ERR_REASON_CONSTRAINTS_NOT_MATCH];
const MISSING = [ERR_REASON_NODE_LABEL_NOT_MATCH];

// zone a: n1 (2 web pods), n2 (none); zone b: n3 (1 web pod); n4 has no zone
function cluster() {
  return [
    node('n1', { labels: { zone: 'a', pool: 'x' }, pods: [web('w1'), web('w2'), pod('other', { labels: { app: 'db' } })] }),
    node('n2', { labels: { zone: 'a', pool: 'x' }, pods: [web('elsewhere', { namespace: 'other' }), web('dying', { deletionTimestamp: '2024-01-01T00:00:00Z' })] }),
    node('n3', { labels: { zone: 'b' }, pods: [web('w3')] }),
    node('n4'),
  ];
}

describe('PodTopologySpread filter', () => {
  it("uses kube's reasons", () => {
    expect(ERR_REASON_CONSTRAINTS_NOT_MATCH).toBe("node(s) didn't match pod topology spread constraints");
    expect(ERR_REASON_NODE_LABEL_NOT_MATCH).toBe("node(s) didn't match pod topology spread constraints (missing required label)");
  });

  it('keeps the skew within maxSkew; counts only matching, live pods of the namespace', () => {
    // zone a: 2, zone b: 1 (the pod in namespace "other" and the terminating one do not count); min 1
    const run = runFilter(podTopologySpread(), web('p', { topologySpreadConstraints: [spread()] }), cluster());
    expect(run.statuses.n1).toEqual({ code: 'Unschedulable', reasons: SKEW });
    expect(run.statuses.n4).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: MISSING });
    expect(reasons(run)).toEqual({ n1: SKEW, n2: SKEW, n3: [], n4: MISSING });
  });

  it('allows a larger maxSkew', () => {
    const run = runFilter(podTopologySpread(), web('p', { topologySpreadConstraints: [spread({ maxSkew: 2 })] }), cluster());
    expect(reasons(run)).toEqual({ n1: [], n2: [], n3: [], n4: MISSING });
  });

  it('does not add the pod itself when it does not match the selector', () => {
    const run = runFilter(podTopologySpread(), pod('p', { labels: { app: 'batch' }, topologySpreadConstraints: [spread()] }), cluster());
    expect(reasons(run)).toEqual({ n1: [], n2: [], n3: [], n4: MISSING });
  });

  it('treats the global minimum as 0 while there are fewer domains than minDomains', () => {
    const run = runFilter(podTopologySpread(), web('p', { topologySpreadConstraints: [spread({ minDomains: 3 })] }), cluster());
    // zone b: 1 + 1 - 0 = 2 > 1
    expect(reasons(run)).toEqual({ n1: SKEW, n2: SKEW, n3: SKEW, n4: MISSING });
  });

  it('spreads per node with kubernetes.io/hostname', () => {
    const run = runFilter(podTopologySpread(), web('p', { topologySpreadConstraints: [spread({ topologyKey: 'kubernetes.io/hostname' })] }), cluster());
    // n1: 2, n2: 0, n3: 1, n4: 0 -> min 0
    expect(reasons(run)).toEqual({ n1: SKEW, n2: [], n3: SKEW, n4: [] });
  });

  it('honours the pod node affinity when counting (nodeAffinityPolicy Honor, the default)', () => {
    const p = web('p', { nodeSelector: { pool: 'x' }, topologySpreadConstraints: [spread()] });
    // only zone a nodes qualify: a = 2 is the minimum -> 2 + 1 - 2 = 1
    expect(reasons(runFilter(podTopologySpread(), p, cluster())).n1).toEqual([]);
    const ignore = web('q', { nodeSelector: { pool: 'x' }, topologySpreadConstraints: [spread({ nodeAffinityPolicy: 'Ignore' })] });
    expect(reasons(runFilter(podTopologySpread(), ignore, cluster())).n1).toEqual(SKEW);
  });

  it('honours node taints when asked (nodeTaintsPolicy Honor)', () => {
    const nodes = cluster();
    nodes[2].taints.push({ key: 'maintenance', effect: 'NoSchedule' }); // zone b's only node
    const honor = web('p', { topologySpreadConstraints: [spread({ nodeTaintsPolicy: 'Honor' })] });
    // zone b no longer counts: a = 2 is the minimum
    expect(reasons(runFilter(podTopologySpread(), honor, nodes)).n1).toEqual([]);
    expect(reasons(runFilter(podTopologySpread(), web('q', { topologySpreadConstraints: [spread()] }), nodes)).n1).toEqual(SKEW);
  });

  it('applies every constraint (nodes need every topology key)', () => {
    const p = web('p', { topologySpreadConstraints: [spread({ maxSkew: 5 }), spread({ topologyKey: 'kubernetes.io/hostname' })] });
    expect(reasons(runFilter(podTopologySpread(), p, cluster()))).toEqual({ n1: SKEW, n2: [], n3: SKEW, n4: MISSING });
  });

  it('merges matchLabelKeys into the selector', () => {
    const nodes = [
      node('a1', { labels: { zone: 'a' }, pods: [web('v1', { labels: { app: 'web', rev: '1' } }), web('v1b', { labels: { app: 'web', rev: '1' } })] }),
      node('b1', { labels: { zone: 'b' }, pods: [web('v2', { labels: { app: 'web', rev: '2' } })] }),
    ];
    const p = pod('p', { labels: { app: 'web', rev: '2' }, topologySpreadConstraints: [spread({ matchLabelKeys: ['rev'] })] });
    // only rev=2 pods count: a = 0, b = 1 -> b: 1 + 1 - 0 = 2 > 1
    expect(reasons(runFilter(podTopologySpread(), p, nodes))).toEqual({ a1: [], b1: SKEW });
  });

  it('skips pods without DoNotSchedule constraints', () => {
    const run = runFilter(podTopologySpread(), web('p', { topologySpreadConstraints: [spread({ whenUnsatisfiable: 'ScheduleAnyway' })] }), cluster());
    expect(run.skipped).toBe(true);
  });
});

describe('PodTopologySpread score', () => {
  it('prefers domains with fewer matching pods; nodes without the key score 0', () => {
    const p = web('p', { topologySpreadConstraints: [spread({ whenUnsatisfiable: 'ScheduleAnyway' })] });
    const run = runScore(podTopologySpread(), p, cluster());
    // weight log(2 domains + 2): n1, n2 = round(2 x 1.386) = 3, n3 = round(1.386) = 1
    expect(run.raw).toEqual({ n1: 3, n2: 3, n3: 1, n4: 0 });
    // 100 x (max + min - s) / max
    expect(run.normalized).toEqual({ n1: 33, n2: 33, n3: 100, n4: 0 });
  });

  it('adds maxSkew - 1 to every node', () => {
    const p = web('p', { topologySpreadConstraints: [spread({ whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 })] });
    const run = runScore(podTopologySpread(), p, cluster());
    // n1: 2.77 + 2 = round(4.77) = 5; n3: 1.39 + 2 = 3
    expect(run.raw).toEqual({ n1: 5, n2: 5, n3: 3, n4: 0 });
    expect(run.normalized).toEqual({ n1: 60, n2: 60, n3: 100, n4: 0 });
  });

  it('gives every qualifying node 100 when no pod matches', () => {
    const p = pod('p', { topologySpreadConstraints: [spread({ whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'nothing' } } })] });
    expect(runScore(podTopologySpread(), p, cluster()).normalized).toEqual({ n1: 100, n2: 100, n3: 100, n4: 0 });
  });

  it('skips pods without ScheduleAnyway constraints', () => {
    expect(runScore(podTopologySpread(), web('p', { topologySpreadConstraints: [spread()] }), cluster()).skipped).toBe(true);
  });
});
