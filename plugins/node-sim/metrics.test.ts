// Hollow pods' usage from their annotations: split over containers, summed per node, only while
// running, gone once deleted.
import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { annotationQuantity, CPU_USAGE_ANNOTATION, HollowMetrics, MEMORY_USAGE_ANNOTATION } from './metrics.ts';

const pod = (name: string, containers: string[], annotations: Record<string, string>, phase = 'Running'): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: `${name}-uid`, annotations },
  spec: { containers: containers.map((n) => ({ name: n })) },
  status: { phase },
});

describe('hollow metrics', () => {
  it('parses quantities', () => {
    expect(annotationQuantity('450m')).toBeCloseTo(0.45);
    expect(annotationQuantity('2')).toBe(2);
    expect(annotationQuantity('64Mi')).toBe(64 * 2 ** 20);
    expect(annotationQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(annotationQuantity('bogus')).toBe(0);
    expect(annotationQuantity(undefined)).toBe(0);
  });

  it('reports running pods per node, split evenly over containers', () => {
    const m = new HollowMetrics();
    m.observe({ type: 'ADDED', object: pod('a', ['x', 'y', 'z'], { [CPU_USAGE_ANNOTATION]: '100m', [MEMORY_USAGE_ANNOTATION]: '3Mi' }) }, 'n1');
    m.observe({ type: 'ADDED', object: pod('b', ['x'], { [CPU_USAGE_ANNOTATION]: '1' }, 'Pending') }, 'n1');
    m.observe({ type: 'ADDED', object: pod('c', ['x'], {}) }, 'n2');
    const [n1, n2, n3] = m.collect(['n1', 'n2', 'n3'], { resolutionSeconds: 15 });
    expect(n1!.windowSeconds).toBe(15);
    expect(n1!.pods.map((p) => p.name)).toEqual(['a']);
    expect(n1!.pods[0]!.containers.map((c) => c.cpuNanoCores)).toEqual([33_333_334, 33_333_333, 33_333_333]);
    expect(n1!.pods[0]!.containers.map((c) => c.memoryWorkingSetBytes)).toEqual([1048576, 1048576, 1048576]);
    expect([n1!.cpuNanoCores, n1!.memoryWorkingSetBytes]).toEqual([100_000_000, 3 * 2 ** 20]);
    expect(n2!.pods[0]!.containers[0]).toEqual({ name: 'x', cpuNanoCores: 0, memoryWorkingSetBytes: 0 });
    expect(n3).toMatchObject({ node: 'n3', cpuNanoCores: 0, pods: [] });
    m.observe({ type: 'MODIFIED', object: pod('b', ['x'], { [CPU_USAGE_ANNOTATION]: '1' }) }, 'n1');
    m.observe({ type: 'DELETED', object: pod('a', ['x'], {}) }, 'n1');
    const [again] = m.collect(['n1']);
    expect(again!.pods.map((p) => [p.name, p.containers[0]!.cpuNanoCores])).toEqual([['b', 1e9]]);
    expect(again!.windowSeconds).toBeLessThan(5);
  });
});
