import { describe, expect, it } from 'vitest';
import type { Pod, Taint } from '@skiff/api';
import { evictionTime } from './evictions.ts';
import { zoneState } from './zones.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const taint = (key: string): Taint => ({ key, effect: 'NoExecute', timeAdded: new Date(t0).toISOString() });
const pod = (tolerations: Pod['spec'] extends infer S ? (S extends { tolerations?: infer T } ? T : never) : never): Pod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], tolerations } }) as Pod;

describe('evictionTime', () => {
  it('is the taint time for a pod that does not tolerate a NoExecute taint', () => {
    expect(evictionTime(pod([]), [taint('node.kubernetes.io/unreachable')])).toBe(t0);
  });
  it('takes the shortest tolerationSeconds of the tolerations used', () => {
    const p = pod([
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
    expect(evictionTime(p, [taint('node.kubernetes.io/unreachable')])).toBe(t0 + 30_000);
  });
  it('is never for tolerations without seconds, and ignores NoSchedule taints', () => {
    expect(evictionTime(pod([{ operator: 'Exists' }]), [taint('x')])).toBeUndefined();
    expect(evictionTime(pod([]), [{ key: 'x', effect: 'NoSchedule' }])).toBeUndefined();
  });
});

describe('zoneState', () => {
  it('follows kube: full disruption when none is ready, partial past the threshold with more than 2 down', () => {
    expect(zoneState(0, 3, 0.55)).toBe('FullDisruption');
    expect(zoneState(1, 2, 0.55)).toBe('Normal');
    expect(zoneState(2, 3, 0.55)).toBe('PartialDisruption');
    expect(zoneState(10, 3, 0.55)).toBe('Normal');
  });
});
