// The in-memory store: a node's report replaces its last one, stale nodes expire, and metrics need
// the object they describe (same uid) to exist.
import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/api';
import type { NodeUsage } from './protocol.ts';
import { MetricsStore } from './store.ts';

const obj = (name: string, ns?: string, uid = `${name}-uid`, labels: Record<string, string> = {}): KObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name, namespace: ns, uid, labels } });

function report(node: string, t: number, pods: [string, number][]): NodeUsage {
  return {
    node,
    timestampMs: t,
    windowSeconds: 15.5,
    cpuNanoCores: pods.reduce((s, p) => s + p[1], 0),
    memoryWorkingSetBytes: 1024 * 1024,
    pods: pods.map(([name, cpu]) => ({ namespace: 'ns', name, uid: `${name}-uid`, timestampMs: t, windowSeconds: 15.5, containers: [{ name: 'c', cpuNanoCores: cpu, memoryWorkingSetBytes: 2048 }] })),
  };
}

describe('MetricsStore', () => {
  it('replaces a node report, expires silent nodes and checks the objects exist', () => {
    let clock = 1_000_000;
    const pods = new Map<string, KObject>([['a', obj('a', 'ns', 'a-uid', { app: 'x' })], ['b', obj('b', 'ns', 'other-uid')], ['c', obj('c', 'ns')]]);
    const store = new MetricsStore({ node: (n) => (n === 'n1' || n === 'n2' ? obj(n) : undefined), pod: (_ns, n) => pods.get(n) }, 30_000, () => clock);
    store.accept(report('n1', clock, [['a', 250e6], ['b', 1]]));
    store.accept(report('n2', clock, [['c', 1e9]]));
    store.accept(report('ghost', clock, []));
    expect(store.podMetrics('ns', 'a')).toMatchObject({ metadata: { name: 'a', namespace: 'ns', labels: { app: 'x' } }, window: '15.5s', containers: [{ name: 'c', usage: { cpu: '250m', memory: '2Ki' } }] });
    expect(store.podMetrics('ns', 'b')).toBeUndefined(); // another pod of that name now
    expect(store.listNodes().map((n) => n.metadata.name)).toEqual(['n1', 'n2']); // no Node "ghost"
    store.accept(report('n1', clock + 1000, [['b', 5]]));
    expect(store.podMetrics('ns', 'a')).toBeUndefined(); // no longer reported by n1
    expect(store.listPods('ns').map((p) => p.metadata.name)).toEqual(['c']);
    clock += 20_000;
    store.accept(report('n2', clock, [['c', 2e9]]));
    clock += 15_000;
    expect(store.nodeMetrics('n1')).toBeUndefined(); // 35 s without a report
    expect(store.nodeMetrics('n2')).toMatchObject({ usage: { cpu: '2', memory: '1Mi' } });
    store.expire();
    expect(store.nodeCount).toBe(1); // n1 and ghost went
    expect(store.podCount).toBe(1);
  });
});
