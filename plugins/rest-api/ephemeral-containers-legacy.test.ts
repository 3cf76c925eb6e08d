import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { isLegacyEphemeralContainers, podOfLegacyEphemeralContainers } from './ephemeral-containers-legacy.ts';

const pod: KObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'a', resourceVersion: '7' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ephemeralContainers: [{ name: 'one', image: 'busybox' }] },
};

describe('an EphemeralContainers body (kubectl 1.20 debug)', () => {
  it('is told from a Pod', () => {
    expect(isLegacyEphemeralContainers({ apiVersion: 'v1', kind: 'EphemeralContainers', ephemeralContainers: [] })).toBe(true);
    expect(isLegacyEphemeralContainers({ apiVersion: 'v1', kind: 'Pod' })).toBe(false);
    expect(isLegacyEphemeralContainers({ apiVersion: 'v2', kind: 'EphemeralContainers' })).toBe(false);
  });

  it('becomes the pod with the containers it names added, the ones the pod has kept, at the resourceVersion it read', () => {
    const next = podOfLegacyEphemeralContainers(pod, { kind: 'EphemeralContainers', metadata: { name: 'p', resourceVersion: '6' }, ephemeralContainers: [{ name: 'two', image: 'busybox' }] });
    expect(next.kind).toBe('Pod');
    expect(next.metadata.resourceVersion).toBe('6');
    expect((next.spec as { ephemeralContainers: { name: string }[] }).ephemeralContainers.map((c) => c.name)).toEqual(['one', 'two']);
    expect((next.spec as { containers: unknown[] }).containers).toEqual([{ name: 'c', image: 'busybox' }]);
    // one sent again, changed, replaces its entry: the pod's validation refuses that change
    const changed = podOfLegacyEphemeralContainers(pod, { kind: 'EphemeralContainers', ephemeralContainers: [{ name: 'one', image: 'busybox:1' }] });
    expect((changed.spec as { ephemeralContainers: { image: string }[] }).ephemeralContainers).toEqual([{ name: 'one', image: 'busybox:1' }]);
    expect(changed.metadata.resourceVersion).toBe('7');
  });

  it('with ephemeralContainers that is not a list of objects is a 400', () => {
    expect(() => podOfLegacyEphemeralContainers(pod, { kind: 'EphemeralContainers', ephemeralContainers: 'x' })).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 400 }) }));
  });
});
