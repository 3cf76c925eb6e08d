import { describe, expect, it } from 'vitest';
import { patchFor, rfc3339 } from './rollout-patch.ts';

const apps = (kind: string) => ({ group: 'apps', kind });

describe('rfc3339', () => {
  it('is Go’s time.RFC3339 in local time: Z for UTC, ±hh:mm otherwise, no fraction', () => {
    const d = new Date('2024-03-05T07:08:09.678Z');
    const s = rfc3339(d);
    expect(s).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(s)).toBe(Date.parse('2024-03-05T07:08:09Z'));
    if (d.getTimezoneOffset() === 0) expect(s).toBe('2024-03-05T07:08:09Z');
  });
});

describe('patchFor', () => {
  const now = new Date('2024-03-05T07:08:09Z');
  const at = rfc3339(now);

  it('restart sets the restartedAt annotation of the pod template (Deployment, DaemonSet, StatefulSet)', () => {
    for (const kind of ['Deployment', 'DaemonSet', 'StatefulSet']) {
      expect(patchFor('restart', apps(kind), { spec: { template: {} } }, now)).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } });
    }
    expect(patchFor('restart', apps('Deployment'), { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } }, now)).toEqual({});
    expect(() => patchFor('restart', apps('Deployment'), { spec: { paused: true } }, now)).toThrow("can't restart paused deployment (run rollout resume first)");
    expect(() => patchFor('restart', apps('ReplicaSet'), {}, now)).toThrow('restarting is not supported');
  });

  it('pause and resume flip spec.paused on Deployments only', () => {
    expect(patchFor('pause', apps('Deployment'), { spec: {} })).toEqual({ spec: { paused: true } });
    expect(() => patchFor('pause', apps('Deployment'), { spec: { paused: true } })).toThrow('is already paused');
    expect(() => patchFor('pause', apps('DaemonSet'), { spec: {} })).toThrow('pausing is not supported');
    expect(patchFor('resume', apps('Deployment'), { spec: { paused: true } })).toEqual({ spec: { paused: null } });
    expect(() => patchFor('resume', apps('Deployment'), { spec: { paused: false } })).toThrow('is not paused');
    expect(() => patchFor('resume', apps('StatefulSet'), { spec: {} })).toThrow('resuming is not supported');
  });
});
