import { describe, expect, it } from 'vitest';
import { bytesQuantity, driverParameters, nodeAffinityFor, provisionerOf, volumeCapabilities } from './objects.ts';

describe('provisioner conversions', () => {
  it('writes sizes in the largest binary unit that divides them', () => {
    expect(bytesQuantity(2 ** 30)).toBe('1Gi');
    expect(bytesQuantity(300 * 2 ** 20)).toBe('300Mi');
    expect(bytesQuantity(1536 * 2 ** 20)).toBe('1536Mi');
    expect(bytesQuantity(1000)).toBe('1000');
  });

  it('asks one capability per access mode, as external-provisioner does', () => {
    expect(volumeCapabilities(['ReadWriteOnce', 'ReadWriteOncePod'], 'xfs', ['noatime'], false)).toEqual([
      { mount: { fsType: 'xfs', mountFlags: ['noatime'] }, accessMode: { mode: 'SINGLE_NODE_WRITER' } },
      { mount: { fsType: 'xfs', mountFlags: ['noatime'] }, accessMode: { mode: 'SINGLE_NODE_SINGLE_WRITER' } },
    ]);
    expect(volumeCapabilities(['ReadWriteMany'], '', [], true)).toEqual([{ block: {}, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' } }]);
  });

  it('turns accessible topology into a PV node affinity', () => {
    expect(nodeAffinityFor([{ segments: { b: '2', a: '1' } }])).toEqual({
      required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1'] }, { key: 'b', operator: 'In', values: ['2'] }] }] },
    });
    expect(nodeAffinityFor([])).toBeUndefined();
  });

  it('reads the provisioner annotation (GA, then beta) and keeps csi.storage.k8s.io/ parameters from the driver', () => {
    expect(provisionerOf({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { annotations: { 'volume.beta.kubernetes.io/storage-provisioner': 'x' } } })).toBe('x');
    expect(provisionerOf({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {} })).toBeUndefined();
    expect(driverParameters({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: {}, provisioner: 'x', parameters: { 'csi.storage.k8s.io/fstype': 'xfs', tier: 'fast' } })).toEqual({ tier: 'fast' });
  });
});
