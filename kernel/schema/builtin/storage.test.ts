import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { persistentVolumeClaimKind as pvcKind, persistentVolumeKind as pvKind } from './core-storage.ts';
import { csiDriverKind, csiNodeKind, csiStorageCapacityKind, storageClassKind as scKind, volumeAttachmentKind } from './storage.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const admit = (kind: SkiffKindDefinition, o: KObject, old?: KObject) => {
  kind.default?.(o);
  return kind.validate!(o, old);
};
const sc = (fields: Record<string, unknown>): KObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, ...fields }) as KObject;
const pvc = (spec: Record<string, unknown>, status?: Record<string, unknown>): KObject =>
  ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'default' }, spec, ...(status ? { status } : {}) }) as KObject;
const claimSpec = (more: Record<string, unknown> = {}) => ({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast', ...more });
const pv = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'v' }, spec }) as KObject;
const csiPV = (more: Record<string, unknown> = {}) => pv({ capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], csi: { driver: 'hostpath.csi.skiff.io', volumeHandle: 'h1' }, ...more });

describe('StorageClass', () => {
  test('defaults reclaimPolicy Delete and volumeBindingMode Immediate', () => {
    const o = sc({ provisioner: 'hostpath.csi.skiff.io' });
    expect(admit(scKind, o)).toEqual([]);
    expect(o).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
  });
  test.each([
    [{}, ['provisioner:FieldValueRequired']],
    [{ provisioner: 'a b' }, ['provisioner:FieldValueInvalid']],
    [{ provisioner: 'p', reclaimPolicy: 'Recycle' }, ['reclaimPolicy:FieldValueNotSupported']],
    [{ provisioner: 'p', volumeBindingMode: 'Later' }, ['volumeBindingMode:FieldValueNotSupported']],
    [{ provisioner: 'p', allowedTopologies: [{ matchLabelExpressions: [{ key: 'zone', values: [] }] }] }, ['allowedTopologies[0].matchLabelExpressions[0].values:FieldValueRequired']],
    [{ provisioner: 'p', parameters: { a: 1 } }, ['parameters[a]:FieldValueTypeInvalid']],
  ])('invalid %j', (fields, expected) => {
    expect(f(admit(scKind, sc(fields)))).toEqual(expected);
  });
  test('provisioner, parameters, reclaimPolicy and volumeBindingMode are immutable; expansion is not', () => {
    const old = sc({ provisioner: 'p', parameters: { a: 'b' } });
    admit(scKind, old);
    const upd = { ...structuredClone(old), provisioner: 'q', parameters: { a: 'c' }, reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' };
    expect(admit(scKind, upd as KObject, old).map((c) => c.message)).toEqual([
      'Forbidden: updates to parameters are forbidden.',
      'Forbidden: updates to provisioner are forbidden.',
      'Forbidden: updates to reclaimPolicy are forbidden.',
      'Invalid value: "WaitForFirstConsumer": field is immutable',
    ]);
    expect(admit(scKind, { ...structuredClone(old), allowVolumeExpansion: true, mountOptions: ['ro'] } as KObject, old)).toEqual([]);
  });
  test('cluster-scoped with short name sc', () => {
    expect(scKind).toMatchObject({ namespaced: false, shortNames: ['sc'], group: 'storage.k8s.io', resource: 'storageclasses' });
  });
});

describe('PersistentVolumeClaim', () => {
  test('access modes and a positive storage request are required', () => {
    expect(f(admit(pvcKind, pvc({})))).toEqual(['spec.accessModes:FieldValueRequired', 'spec.resources[storage]:FieldValueRequired']);
    expect(f(admit(pvcKind, pvc(claimSpec({ resources: { requests: { storage: '0' } } }))))).toEqual(['spec.resources[storage]:FieldValueInvalid']);
    expect(f(admit(pvcKind, pvc(claimSpec({ accessModes: ['ReadWriteOncePod', 'ReadOnlyMany'] }))))).toEqual(['spec.accessModes:FieldValueForbidden']);
    expect(f(admit(pvcKind, pvc(claimSpec({ storageClassName: 'Not_A_Name' }))))).toEqual(['spec.storageClassName:FieldValueInvalid']);
    expect(admit(pvcKind, pvc(claimSpec({ storageClassName: '' })))).toEqual([]);
  });
  test('the spec is immutable except a bound claim\'s storage request, which may only grow; volumeName may be set once', () => {
    const old = pvc(claimSpec());
    admit(pvcKind, old);
    const change = (spec: Record<string, unknown>, status?: Record<string, unknown>) => {
      const o = structuredClone(old);
      Object.assign(o.spec as object, spec);
      if (status) o.status = status;
      return o;
    };
    const spec = 'spec:FieldValueForbidden';
    expect(f(admit(pvcKind, change({ accessModes: ['ReadWriteMany'] }), old))).toEqual([spec]);
    // not bound: no resize
    expect(f(admit(pvcKind, change({ resources: { requests: { storage: '2Gi' } } }), old))).toEqual([spec]);
    const bound = structuredClone(old);
    bound.status = { phase: 'Bound' };
    const grow = change({ resources: { requests: { storage: '2Gi' } } }, { phase: 'Bound' });
    expect(admit(pvcKind, grow, bound)).toEqual([]);
    const shrink = change({ resources: { requests: { storage: '512Mi' } } }, { phase: 'Bound' });
    expect(admit(pvcKind, shrink, bound).map((c) => `${c.field}: ${c.message}`)).toEqual(['spec.resources.requests.storage: Forbidden: field can not be less than previous value']);
    expect(admit(pvcKind, change({ volumeName: 'pv-1' }), old)).toEqual([]);
    // a class may be given once to a claim without one (the retroactive default class), not changed
    const classless = pvc(claimSpec({ storageClassName: undefined }));
    admit(pvcKind, classless);
    expect(admit(pvcKind, { ...structuredClone(classless), spec: { ...(classless.spec as object), storageClassName: 'standard' } } as KObject, classless)).toEqual([]);
    expect(f(admit(pvcKind, change({ storageClassName: 'other' }), old))).toEqual([spec]);
    const named = change({ volumeName: 'pv-1' });
    expect(f(admit(pvcKind, change({ volumeName: 'pv-2' }), named))).toEqual([spec]);
  });
});

describe('PersistentVolume', () => {
  test('capacity, access modes and exactly one source', () => {
    expect(admit(pvKind, csiPV())).toEqual([]);
    expect(f(admit(pvKind, pv({ accessModes: ['ReadWriteOnce'] })))).toEqual(['spec.capacity[storage]:FieldValueRequired', 'spec:FieldValueRequired']);
    expect(f(admit(pvKind, csiPV({ hostPath: { path: '/x' } })))).toEqual(["spec.csi:FieldValueForbidden"]);
    expect(f(admit(pvKind, csiPV({ csi: { driver: 'd' } })))).toEqual(['spec.csi.volumeHandle:FieldValueRequired']);
    expect(f(admit(pvKind, csiPV({ persistentVolumeReclaimPolicy: 'Recycle' })))).toEqual(['spec.persistentVolumeReclaimPolicy:FieldValueForbidden']);
  });
  test('defaults Retain, Filesystem and phase Pending', () => {
    const o = csiPV();
    admit(pvKind, o);
    expect(o.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
    expect(o.status).toEqual({ phase: 'Pending' });
  });
  test('the source and volume mode are immutable; capacity and claimRef are not', () => {
    const old = csiPV();
    admit(pvKind, old);
    const o = structuredClone(old);
    (o.spec as any).csi.volumeHandle = 'h2';
    expect(f(admit(pvKind, o, old))).toEqual(['spec.persistentvolumesource:FieldValueForbidden']);
    const ok = structuredClone(old);
    Object.assign(ok.spec as object, { capacity: { storage: '2Gi' }, claimRef: { namespace: 'default', name: 'c' } });
    expect(admit(pvKind, ok, old)).toEqual([]);
  });
});

describe('CSI kinds', () => {
  test('CSIDriver defaults as kube does, and attachRequired is immutable', () => {
    const d = { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'hostpath.csi.skiff.io' }, spec: {} } as KObject;
    expect(admit(csiDriverKind, d)).toEqual([]);
    expect(d.spec).toEqual({
      attachRequired: true, podInfoOnMount: false, storageCapacity: false, fsGroupPolicy: 'ReadWriteOnceWithFSType', requiresRepublish: false, seLinuxMount: false, volumeLifecycleModes: ['Persistent'],
    });
    const upd = structuredClone(d);
    (upd.spec as any).attachRequired = false;
    (upd.spec as any).storageCapacity = true;
    expect(f(admit(csiDriverKind, upd, d))).toEqual(['spec.attachRequired:FieldValueInvalid']);
  });
  test('CSINode drivers need a name and a node ID, once each', () => {
    const n = (drivers: unknown[]) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: 'n1' }, spec: { drivers } }) as KObject;
    expect(admit(csiNodeKind, n([{ name: 'a.b', nodeID: 'n1', allocatable: { count: 3 } }]))).toEqual([]);
    expect(f(admit(csiNodeKind, n([{ name: 'a.b' }, { name: 'a.b', nodeID: 'x', allocatable: { count: -1 } }])))).toEqual([
      'spec.drivers[0].nodeID:FieldValueRequired', 'spec.drivers[1].name:FieldValueDuplicate', 'spec.drivers[1].allocatable.count:FieldValueInvalid',
    ]);
  });
  test('VolumeAttachment needs one source and its spec is immutable', () => {
    const va = { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', metadata: { name: 'a' }, spec: { attacher: 'd', nodeName: 'n1', source: { persistentVolumeName: 'pv' } } } as KObject;
    expect(admit(volumeAttachmentKind, va)).toEqual([]);
    expect(f(admit(volumeAttachmentKind, { ...va, spec: { attacher: 'd', nodeName: 'n1', source: {} } } as KObject))).toEqual(['spec.source:FieldValueRequired']);
    expect(f(admit(volumeAttachmentKind, { ...va, spec: { ...(va.spec as object), nodeName: 'n2' } } as KObject, va))).toEqual(['spec:FieldValueInvalid']);
    expect(volumeAttachmentKind.subresources).toEqual(['status']);
  });
  test('CSIStorageCapacity needs a class; class and topology are immutable', () => {
    const c = { apiVersion: 'storage.k8s.io/v1', kind: 'CSIStorageCapacity', metadata: { name: 'c', namespace: 'kube-system' }, storageClassName: 'fast', capacity: '10Gi', nodeTopology: { matchLabels: { n: '1' } } } as KObject;
    expect(admit(csiStorageCapacityKind, c)).toEqual([]);
    expect(f(admit(csiStorageCapacityKind, { ...c, storageClassName: undefined } as KObject))).toEqual(['storageClassName:FieldValueRequired']);
    expect(f(admit(csiStorageCapacityKind, { ...c, capacity: '20Gi', storageClassName: 'slow' } as KObject, c))).toEqual(['storageClassName:FieldValueInvalid']);
    expect(csiStorageCapacityKind.namespaced).toBe(true);
  });
});
