// The `kubectl get` columns of the storage kinds.
import { describe, expect, test } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { toTable } from './table.ts';

const T0 = new Date(Date.now() - 3600_000).toISOString();
const o = (fields: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject => ({ apiVersion: 'x', kind: 'X', metadata: { name: 'data', creationTimestamp: T0, ...meta }, ...fields });
const row = (resource: string, obj: KObject, wide = false) => {
  const t = toTable(resource, [obj], {}, {});
  return Object.fromEntries(t.columnDefinitions!.map((c, i) => [c.name, t.rows[0]!.cells[i]]).filter((_, i) => wide || t.columnDefinitions![i]!.priority === 0));
};

describe('storage table columns', () => {
  test('StorageClass: (default) after the default class\'s name', () => {
    const sc = o({ provisioner: 'hostpath.csi.skiff.io', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true }, {
      name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    });
    expect(row('storageclasses', sc)).toEqual({
      Name: 'standard (default)', Provisioner: 'hostpath.csi.skiff.io', ReclaimPolicy: 'Delete', VolumeBindingMode: 'WaitForFirstConsumer', AllowVolumeExpansion: 'true', Age: '60m',
    });
    expect(row('storageclasses', o({ provisioner: 'p', reclaimPolicy: 'Retain', volumeBindingMode: 'Immediate' }, { name: 'slow' }))).toMatchObject({ Name: 'slow', AllowVolumeExpansion: 'false' });
  });
  test('PersistentVolume and PersistentVolumeClaim (VolumeMode only wide)', () => {
    const pv = o({
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'standard', claimRef: { namespace: 'default', name: 'data' }, volumeMode: 'Filesystem' },
      status: { phase: 'Bound' },
    }, { name: 'pvc-1' });
    expect(row('persistentvolumes', pv)).toEqual({
      Name: 'pvc-1', Capacity: '1Gi', 'Access Modes': 'RWO,RWX', 'Reclaim Policy': 'Retain', Status: 'Bound', Claim: 'default/data', StorageClass: 'standard', VolumeAttributesClass: '<unset>', Reason: '', Age: '60m',
    });
    expect(row('persistentvolumes', pv, true).VolumeMode).toBe('Filesystem');
    const pending = o({ spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
    expect(row('persistentvolumeclaims', pending)).toEqual({ Name: 'data', Status: 'Pending', Volume: '', Capacity: '', 'Access Modes': '', StorageClass: 'standard', VolumeAttributesClass: '<unset>', Age: '60m' });
    const bound = o({ spec: { accessModes: ['ReadWriteOnce'], volumeName: 'pvc-1', volumeMode: 'Block' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOncePod'] } }, { deletionTimestamp: T0 });
    expect(row('persistentvolumeclaims', bound, true)).toMatchObject({ Status: 'Terminating', Volume: 'pvc-1', Capacity: '1Gi', 'Access Modes': 'RWOP', VolumeMode: 'Block' });
  });
  test('CSIDriver, CSINode, VolumeAttachment, CSIStorageCapacity', () => {
    expect(row('csidrivers', o({ spec: { attachRequired: false, podInfoOnMount: true, storageCapacity: true, volumeLifecycleModes: ['Persistent', 'Ephemeral'] } }))).toEqual({
      Name: 'data', AttachRequired: false, PodInfoOnMount: true, StorageCapacity: true, TokenRequests: '<unset>', RequiresRepublish: false, Modes: 'Persistent,Ephemeral', Age: '60m',
    });
    expect(row('csinodes', o({ spec: { drivers: [{ name: 'a', nodeID: 'n' }, { name: 'b', nodeID: 'n' }] } }))).toEqual({ Name: 'data', Drivers: 2, Age: '60m' });
    expect(row('volumeattachments', o({ spec: { attacher: 'd', nodeName: 'n1', source: { persistentVolumeName: 'pv' } }, status: { attached: true } }))).toEqual({
      Name: 'data', Attacher: 'd', PV: 'pv', Node: 'n1', Attached: true, Age: '60m',
    });
    expect(row('csistoragecapacities', o({ storageClassName: 'standard', capacity: '10Gi' }))).toEqual({ Name: 'data', StorageClassName: 'standard', Capacity: '10Gi', Age: '60m' });
  });
});
