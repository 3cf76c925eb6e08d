import { describe, expect, it } from 'vitest';
import { ERR_REASON_NODE_NAME, nodeName } from './node-name.ts';
import { node, pod, reasons, runFilter } from './testing.ts';

describe('NodeName', () => {
  const nodes = [node('n1'), node('n2')];
  it('lets a pod without spec.nodeName go anywhere (PreFilter skips)', () => {
    const run = runFilter(nodeName(), pod('p'), nodes);
    expect(run.skipped).toBe(true);
    expect(reasons(run)).toEqual({ n1: [], n2: [] });
  });
  it('restricts a pod with spec.nodeName to that node', () => {
    const run = runFilter(nodeName(), pod('p', { nodeName: 'n2' }), nodes);
    expect(run.preFilter.nodeNames).toEqual(new Set(['n2']));
    expect(run.statuses.n1).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_NAME] });
    expect(run.statuses.n2.code).toBe('Success');
    expect(ERR_REASON_NODE_NAME).toBe("node(s) didn't match the requested node name");
  });
});
