import { describe, expect, it } from 'vitest';
import { ERR_REASON_CONFLICT, ERR_REASON_ENFORCED, ERR_REASON_POD, nodeAffinity } from './node-affinity.ts';
import type { NodeSelectorTerm } from './pod-spec.ts';
import { node, pod, reasons, runFilter, runScore } from './testing.ts';

const required = (...terms: NodeSelectorTerm[]) => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
});
const REJECT = [ERR_REASON_POD];

describe('NodeAffinity filter', () => {
  it("uses kube's reason", () => {
    expect(ERR_REASON_POD).toBe("node(s) didn't match Pod's node affinity/selector");
  });

  it('enforces spec.nodeSelector', () => {
    const run = runFilter(nodeAffinity(), pod('p', { nodeSelector: { disk: 'ssd' } }), [node('ssd', { labels: { disk: 'ssd' } }), node('hdd', { labels: { disk: 'hdd' } }), node('none')]);
    expect(run.statuses.hdd).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: REJECT });
    expect(reasons(run)).toEqual({ ssd: [], hdd: REJECT, none: REJECT });
  });

  it('ORs terms and ANDs the requirements of a term', () => {
    const p = pod('p', {
      affinity: required(
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'gpu', operator: 'DoesNotExist' }] },
        { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] },
      ),
    });
    const nodes = [
      node('a', { labels: { zone: 'a' } }),
      node('c', { labels: { zone: 'c' } }),
      node('c16', { labels: { zone: 'c', cores: '16' } }),
      node('agpu', { labels: { zone: 'a', gpu: 'yes' } }),
      node('c4', { labels: { cores: '4' } }),
    ];
    expect(reasons(runFilter(nodeAffinity(), p, nodes))).toEqual({ a: [], c: REJECT, c16: [], agpu: REJECT, c4: REJECT });
  });

  it('supports NotIn, Exists, Lt (integers only)', () => {
    const p = pod('p', {
      affinity: required({
        matchExpressions: [
          { key: 'env', operator: 'NotIn', values: ['prod'] },
          { key: 'rack', operator: 'Exists' },
          { key: 'cores', operator: 'Lt', values: ['8'] },
        ],
      }),
    });
    const nodes = [
      node('ok', { labels: { rack: 'r1', cores: '4' } }),
      node('prod', { labels: { env: 'prod', rack: 'r1', cores: '4' } }),
      node('dev', { labels: { env: 'dev', rack: 'r1', cores: '4' } }),
      node('norack', { labels: { cores: '4' } }),
      node('big', { labels: { rack: 'r1', cores: '16' } }),
      node('nocores', { labels: { rack: 'r1' } }),
      node('badcores', { labels: { rack: 'r1', cores: 'four' } }),
    ];
    expect(reasons(runFilter(nodeAffinity(), p, nodes))).toEqual({
      ok: [],
      prod: REJECT,
      dev: [],
      norack: REJECT,
      big: REJECT,
      nocores: REJECT,
      badcores: REJECT,
    });
  });

  it('requires both nodeSelector and affinity', () => {
    const p = pod('p', { nodeSelector: { disk: 'ssd' }, affinity: required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }) });
    const nodes = [node('both', { labels: { disk: 'ssd', zone: 'a' } }), node('sel', { labels: { disk: 'ssd' } }), node('aff', { labels: { zone: 'a' } })];
    expect(reasons(runFilter(nodeAffinity(), p, nodes))).toEqual({ both: [], sel: REJECT, aff: REJECT });
  });

  it('an empty term matches nothing', () => {
    expect(reasons(runFilter(nodeAffinity(), pod('p', { affinity: required({}) }), [node('n')]))).toEqual({ n: REJECT });
  });

  it('matchFields metadata.name: PreFilter narrows the candidates, Filter enforces', () => {
    const p = pod('p', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1', 'n3'] }] }) });
    const run = runFilter(nodeAffinity(), p, [node('n1'), node('n2'), node('n3')]);
    expect(run.preFilter.nodeNames).toEqual(new Set(['n1', 'n3']));
    expect(reasons(run)).toEqual({ n1: [], n2: REJECT, n3: [] });
  });

  it('does not narrow when some term is not about node names', () => {
    const p = pod('p', {
      affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }, { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }),
    });
    const run = runFilter(nodeAffinity(), p, [node('n1'), node('n2', { labels: { zone: 'z' } }), node('n3')]);
    expect(run.preFilter.nodeNames).toBeUndefined();
    expect(reasons(run)).toEqual({ n1: [], n2: [], n3: REJECT });
  });

  it('conflicting node names reject the pod in PreFilter', () => {
    const p = pod('p', {
      affinity: required({
        matchFields: [
          { key: 'metadata.name', operator: 'In', values: ['n1'] },
          { key: 'metadata.name', operator: 'In', values: ['n2'] },
        ],
      }),
    });
    const run = runFilter(nodeAffinity(), p, [node('n1'), node('n2')]);
    expect(run.preFilter.status).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_CONFLICT] });
  });

  it('skips pods without constraints', () => {
    const run = runFilter(nodeAffinity(), pod('p'), [node('n')]);
    expect(run.skipped).toBe(true);
  });

  it('applies a scheduler-enforced addedAffinity', () => {
    const na = nodeAffinity({
      addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['batch'] }] }] } },
    });
    const run = runFilter(na, pod('p'), [node('batch', { labels: { pool: 'batch' } }), node('web', { labels: { pool: 'web' } })]);
    expect(run.skipped).toBe(false);
    expect(reasons(run)).toEqual({ batch: [], web: [ERR_REASON_ENFORCED] });
  });
});

describe('NodeAffinity score', () => {
  const preferred = pod('p', {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 2, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          { weight: 8, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
          { weight: 50, preference: {} },
        ],
      },
    },
  });
  const nodes = [
    node('zone', { labels: { zone: 'a' } }),
    node('ssd', { labels: { disk: 'ssd' } }),
    node('both', { labels: { zone: 'a', disk: 'ssd' } }),
    node('none'),
  ];

  it('sums the weights of matching preferred terms and normalizes to the best node', () => {
    const run = runScore(nodeAffinity(), preferred, nodes);
    expect(run.raw).toEqual({ zone: 2, ssd: 8, both: 10, none: 0 });
    expect(run.normalized).toEqual({ zone: 20, ssd: 80, both: 100, none: 0 });
  });

  it('skips pods without preferred terms', () => {
    const run = runScore(nodeAffinity(), pod('p'), nodes);
    expect(run.skipped).toBe(true);
  });
});
