import { describe, expect, it } from 'vitest';
import { MapCycleState } from './cycle-state.ts';
import { ERR_REASON_UNSCHEDULABLE, nodeUnschedulable } from './node-unschedulable.ts';
import { node, pod, reasons, runFilter } from './testing.ts';

describe('NodeUnschedulable', () => {
  const nodes = [node('cordoned', { unschedulable: true }), node('ok')];
  it('rejects cordoned nodes', () => {
    const run = runFilter(nodeUnschedulable(), pod('p'), nodes);
    expect(run.statuses.cordoned).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: ['node(s) were unschedulable'] });
    expect(run.statuses.ok.code).toBe('Success');
    expect(ERR_REASON_UNSCHEDULABLE).toBe('node(s) were unschedulable');
  });
  it('admits pods tolerating node.kubernetes.io/unschedulable:NoSchedule', () => {
    const tolerant = pod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(reasons(runFilter(nodeUnschedulable(), tolerant, nodes))).toEqual({ cordoned: [], ok: [] });
    const everything = pod('q', { tolerations: [{ operator: 'Exists' }] });
    expect(reasons(runFilter(nodeUnschedulable(), everything, nodes))).toEqual({ cordoned: [], ok: [] });
  });
  it('does not take a toleration of another effect', () => {
    const wrong = pod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] });
    expect(nodeUnschedulable().filter!(new MapCycleState(), wrong, nodes[0]).code).toBe('UnschedulableAndUnresolvable');
  });
});
