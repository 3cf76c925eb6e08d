import { describe, expect, it } from 'vitest';
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from './mod.ts';
import { claimClassName, defaultStorageClass, findMatchingVolume, podClaimNames, volumeNodeAffinityMatches } from './volumes.ts';

const pv = (name: string, size: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): PersistentVolume =>
  ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, ...meta }, spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: 'c', ...spec } }) as PersistentVolume;
const claim = (spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): PersistentVolumeClaim =>
  ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'ns', uid: 'u1', ...meta }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'c', ...spec } }) as PersistentVolumeClaim;
const names = (v: PersistentVolume | undefined) => v?.metadata.name;

describe('findMatchingVolume', () => {
  it('the smallest that fits class, size, access modes, volume mode and selector', () => {
    const vols = [pv('big', '10Gi'), pv('small', '512Mi'), pv('fit', '2Gi'), pv('rox', '1Gi', { accessModes: ['ReadOnlyMany'] }), pv('other', '1Gi', { storageClassName: 'd' }), pv('block', '1Gi', { volumeMode: 'Block' })];
    expect(names(findMatchingVolume(claim(), vols))).toBe('fit');
    expect(names(findMatchingVolume(claim({ volumeMode: 'Block' }), vols))).toBe('block');
    expect(names(findMatchingVolume(claim({ selector: { matchLabels: { tier: 'gold' } } }), [...vols, pv('gold', '5Gi', {}, { labels: { tier: 'gold' } })]))).toBe('gold');
    expect(findMatchingVolume(claim({ resources: { requests: { storage: '20Gi' } } }), vols)).toBeUndefined();
  });
  it('a volume pre-bound to the claim wins; volumes of other claims, released or failed ones never match', () => {
    const vols = [pv('fit', '1Gi'), pv('mine', '50Gi', { claimRef: { namespace: 'ns', name: 'data' } }), pv('theirs', '1Gi', { claimRef: { namespace: 'ns', name: 'x' } })];
    expect(names(findMatchingVolume(claim(), vols))).toBe('mine');
    expect(names(findMatchingVolume(claim(), [pv('stale', '1Gi', { claimRef: { namespace: 'ns', name: 'data', uid: 'old' } })]))).toBeUndefined();
    const released = { ...pv('r', '1Gi'), status: { phase: 'Released' as const } };
    expect(findMatchingVolume(claim(), [released])).toBeUndefined();
  });
  it('delayBinding takes only pre-bound volumes; a node limits to volumes whose affinity admits it', () => {
    const onN1 = pv('n1', '1Gi', { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } } });
    expect(findMatchingVolume(claim(), [onN1], { delayBinding: true })).toBeUndefined();
    expect(names(findMatchingVolume(claim(), [onN1], { node: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } } }))).toBe('n1');
    expect(findMatchingVolume(claim(), [onN1], { node: { name: 'n2', labels: { 'kubernetes.io/hostname': 'n2' } } })).toBeUndefined();
    expect(volumeNodeAffinityMatches(pv('any', '1Gi'), { name: 'x', labels: {} })).toBe(true);
  });
});

describe('claims and classes', () => {
  it('the beta annotation names the class before spec.storageClassName', () => {
    expect(claimClassName(claim({}, { annotations: { 'volume.beta.kubernetes.io/storage-class': 'old' } }))).toBe('old');
    expect(claimClassName(claim({ storageClassName: undefined }))).toBe('');
  });
  it('the default class: the newest of those annotated', () => {
    const sc = (name: string, ts: string, isDefault: boolean) =>
      ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, creationTimestamp: ts, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} }, provisioner: 'p' }) as StorageClass;
    expect(defaultStorageClass([sc('a', '2026-01-01T00:00:00Z', true), sc('b', '2026-02-01T00:00:00Z', true), sc('c', '2026-03-01T00:00:00Z', false)])?.metadata.name).toBe('b');
    expect(defaultStorageClass([sc('c', '2026-03-01T00:00:00Z', false)])).toBeUndefined();
  });
  it('a pod\'s claims: persistentVolumeClaim volumes and <pod>-<volume> for ephemeral ones', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [], volumes: [{ name: 'a', persistentVolumeClaim: { claimName: 'data' } }, { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } }, { name: 'e', emptyDir: {} }] } } as unknown as Pod;
    expect(podClaimNames(pod)).toEqual(['data', 'web-scratch']);
  });
});
