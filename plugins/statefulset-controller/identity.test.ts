import { describe, expect, it } from 'vitest';
import type { Pod, StatefulSet } from '@skiff/api';
import {
  identityMatches, isUnavailable, newStatefulSetPod, newVersionedStatefulSetPod, parentAndOrdinal, podInOrdinalRange, storageMatches, updateStorage,
} from './identity.ts';

const set = (extra: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'ns', uid: 'set-uid' },
  spec: {
    replicas: 3,
    serviceName: 'svc',
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' }, annotations: { a: '1' } },
      spec: { containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'data', emptyDir: {} }] },
    },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
    ...extra,
  },
});

describe('parentAndOrdinal', () => {
  it('splits at the last dash before trailing digits', () => {
    expect(parentAndOrdinal('web-0')).toEqual({ parent: 'web', ordinal: 0 });
    expect(parentAndOrdinal('my-web-12')).toEqual({ parent: 'my-web', ordinal: 12 });
    expect(parentAndOrdinal('web')).toEqual({ parent: '', ordinal: -1 });
    expect(parentAndOrdinal('web-1a')).toEqual({ parent: '', ordinal: -1 });
    // beyond int32: a member name without an ordinal, as strconv.ParseInt(…, 32) fails
    expect(parentAndOrdinal('web-99999999999')).toEqual({ parent: 'web', ordinal: -1 });
  });
});

describe('newStatefulSetPod', () => {
  it('names, labels and mounts a pod for its ordinal', () => {
    const pod = newStatefulSetPod(set(), 2);
    expect(pod.metadata).toEqual({
      name: 'web-2',
      namespace: 'ns',
      generateName: 'web-',
      labels: { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2' },
      annotations: { a: '1' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(pod.spec?.hostname).toBe('web-2');
    expect(pod.spec?.subdomain).toBe('svc');
    // the claim replaces the template's volume of the same name; other volumes follow
    expect(pod.spec?.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } }, { name: 'scratch', emptyDir: {} }]);
    expect(identityMatches(set(), pod)).toBe(true);
    expect(storageMatches(set(), pod)).toBe(true);
  });

  it('does not share the template with the pod', () => {
    const s = set();
    const pod = newStatefulSetPod(s, 0);
    pod.spec!.containers[0].image = 'changed';
    pod.metadata.labels!.x = 'y';
    expect(s.spec!.template.spec!.containers[0].image).toBe('i');
    expect(s.spec!.template.metadata!.labels).toEqual({ app: 'web' });
  });
});

describe('identity and storage checks', () => {
  it('finds a pod whose name label or claim volume is off', () => {
    const pod = newStatefulSetPod(set(), 1);
    expect(identityMatches(set(), { ...pod, metadata: { ...pod.metadata, labels: { app: 'web' } } })).toBe(false);
    expect(identityMatches(set(), { ...pod, metadata: { ...pod.metadata, namespace: 'other' } })).toBe(false);
    const moved: Pod = { ...pod, spec: { ...pod.spec!, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }] } };
    expect(storageMatches(set(), moved)).toBe(false);
    updateStorage(set(), moved);
    expect(storageMatches(set(), moved)).toBe(true);
  });
});

describe('newVersionedStatefulSetPod', () => {
  const revOf = (p: Pod) => p.metadata.labels?.['controller-revision-hash'];
  it('keeps ordinals below the partition at the current revision', () => {
    const s = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    expect(revOf(newVersionedStatefulSetPod(s, s, 'cur', 'upd', 1))).toBe('cur');
    expect(revOf(newVersionedStatefulSetPod(s, s, 'cur', 'upd', 2))).toBe('upd');
  });

  it('counts the partition from ordinals.start', () => {
    const s = set({ ordinals: { start: 5 }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    expect(revOf(newVersionedStatefulSetPod(s, s, 'cur', 'upd', 6))).toBe('cur');
    expect(revOf(newVersionedStatefulSetPod(s, s, 'cur', 'upd', 7))).toBe('upd');
    expect(podInOrdinalRange(newStatefulSetPod(s, 4), s)).toBe(false);
    expect(podInOrdinalRange(newStatefulSetPod(s, 7), s)).toBe(true);
    expect(podInOrdinalRange(newStatefulSetPod(s, 8), s)).toBe(false);
  });

  it("uses the update revision's template for OnDelete", () => {
    const cur = set({ updateStrategy: { type: 'OnDelete' } });
    const upd = set({ updateStrategy: { type: 'OnDelete' } });
    upd.spec!.template.spec!.containers[0].image = 'new';
    const pod = newVersionedStatefulSetPod(cur, upd, 'cur', 'upd', 0);
    expect(revOf(pod)).toBe('upd');
    expect(pod.spec?.containers[0].image).toBe('new');
  });
});

describe('isUnavailable', () => {
  const pod = (phase: string, ready: boolean, since: string, deleting = false): Pod => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web-0', ...(deleting ? { deletionTimestamp: since } : {}) },
    status: { phase: phase as 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: since }] },
  });
  it('is available when Running, Ready for minReadySeconds and not terminating', () => {
    const now = Date.parse('2024-01-01T00:00:10Z');
    expect(isUnavailable(pod('Running', true, '2024-01-01T00:00:00Z'), 5, now)).toBe(false);
    expect(isUnavailable(pod('Running', true, '2024-01-01T00:00:08Z'), 5, now)).toBe(true);
    expect(isUnavailable(pod('Running', false, '2024-01-01T00:00:00Z'), 0, now)).toBe(true);
    expect(isUnavailable(pod('Pending', true, '2024-01-01T00:00:00Z'), 0, now)).toBe(true);
    expect(isUnavailable(pod('Running', true, '2024-01-01T00:00:00Z', true), 0, now)).toBe(true);
  });
});
