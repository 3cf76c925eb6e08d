import { describe, expect, it } from 'vitest';
import type { Taint } from '@skiff/plugin-scheduler/framework';
import { taintToleration, untoleratedTaintReason } from './taint-toleration.ts';
import { node, pod, reasons, runFilter, runScore } from './testing.ts';

const gpu: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('TaintToleration filter', () => {
  const nodes = [node('tainted', { taints: [gpu] }), node('clean')];

  it('rejects a node with an untolerated NoSchedule taint, naming it', () => {
    const run = runFilter(taintToleration(), pod('p'), nodes);
    expect(run.statuses.tainted).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {dedicated: gpu}'] });
    expect(run.statuses.clean.code).toBe('Success');
  });

  it('matches tolerations by key, operator, value and effect', () => {
    const cases: [string, object, boolean][] = [
      ['Equal, same value', { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, true],
      ['operator defaults to Equal', { key: 'dedicated', value: 'gpu' }, true],
      ['Equal, other value', { key: 'dedicated', operator: 'Equal', value: 'cpu' }, false],
      ['Exists on the key', { key: 'dedicated', operator: 'Exists' }, true],
      ['Exists without key tolerates all', { operator: 'Exists' }, true],
      ['other effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
      ['other key', { key: 'other', operator: 'Exists' }, false],
    ];
    for (const [what, t, ok] of cases) {
      const st = taintToleration().filter!(runFilter(taintToleration(), pod('x'), []).state, pod('p', { tolerations: [t] }), nodes[0]);
      expect(st.code, what).toBe(ok ? 'Success' : 'UnschedulableAndUnresolvable');
    }
  });

  it('filters NoExecute too, but not PreferNoSchedule', () => {
    const ne = node('ne', { taints: [{ key: 'k', effect: 'NoExecute' }] });
    const pns = node('pns', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] });
    expect(reasons(runFilter(taintToleration(), pod('p'), [ne, pns]))).toEqual({ ne: ['node(s) had untolerated taint {k: }'], pns: [] });
    expect(untoleratedTaintReason({ key: 'a', value: 'b', effect: 'NoSchedule' })).toBe('node(s) had untolerated taint {a: b}');
  });

  it('reports the first untolerated taint', () => {
    const n = node('n', { taints: [{ key: 'a', value: '1', effect: 'NoSchedule' }, { key: 'b', value: '2', effect: 'NoSchedule' }] });
    const st = runFilter(taintToleration(), pod('p', { tolerations: [{ key: 'a', operator: 'Exists' }] }), [n]).statuses.n;
    expect(st.reasons).toEqual(['node(s) had untolerated taint {b: 2}']);
  });
});

describe('TaintToleration score', () => {
  const prefer = (key: string): Taint => ({ key, value: 'x', effect: 'PreferNoSchedule' });
  const nodes = [node('n0'), node('n1', { taints: [prefer('a')] }), node('n2', { taints: [prefer('a'), prefer('b')] })];

  it('counts untolerated PreferNoSchedule taints; fewer is better (reverse normalization)', () => {
    const run = runScore(taintToleration(), pod('p'), nodes);
    expect(run.raw).toEqual({ n0: 0, n1: 1, n2: 2 });
    expect(run.normalized).toEqual({ n0: 100, n1: 50, n2: 0 });
  });

  it('only tolerations with effect PreferNoSchedule or empty count', () => {
    const p = pod('p', { tolerations: [{ key: 'b', operator: 'Exists', effect: 'PreferNoSchedule' }, { key: 'a', operator: 'Exists', effect: 'NoSchedule' }] });
    const run = runScore(taintToleration(), p, nodes);
    expect(run.raw).toEqual({ n0: 0, n1: 1, n2: 1 });
    expect(run.normalized).toEqual({ n0: 100, n1: 0, n2: 0 });
  });

  it('gives every node 100 when no node has such taints', () => {
    expect(runScore(taintToleration(), pod('p'), [node('a'), node('b')]).normalized).toEqual({ a: 100, b: 100 });
  });

  it('ignores hard taints when scoring', () => {
    const run = runScore(taintToleration(), pod('p'), [node('a', { taints: [gpu] }), node('b', { taints: [prefer('z')] })]);
    expect(run.raw).toEqual({ a: 0, b: 1 });
  });
});
