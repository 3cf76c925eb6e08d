import { describe, expect, it } from 'vitest';
import { DEFAULT_FLOW_CONTROL } from './flow-control.ts';
import { flowControlFromConfig } from './plugin.ts';

describe('rest-api plugin config', () => {
  it('keeps the default budgets when nothing is set', () => {
    expect(flowControlFromConfig({ host: '127.0.0.1', port: 0 })).toEqual({});
  });

  it('sets each budget like kube-apiserver flags, one client taking at most three quarters', () => {
    const fc = flowControlFromConfig({ host: '127.0.0.1', port: 0, maxRequestsInflight: 40, maxMutatingRequestsInflight: 2, maxListsInflight: 1, maxWatchesPerClient: 5 });
    expect(fc.read).toEqual({ ...DEFAULT_FLOW_CONTROL.read, concurrency: 40, perFlow: 30 });
    expect(fc.write).toEqual({ ...DEFAULT_FLOW_CONTROL.write, concurrency: 2, perFlow: 1 });
    expect(fc.list).toEqual({ ...DEFAULT_FLOW_CONTROL.list, concurrency: 1, perFlow: 1 });
    expect(fc.watchesPerFlow).toBe(5);
  });
});
