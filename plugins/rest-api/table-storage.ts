// `kubectl get` columns of the storage kinds (PersistentVolume, PersistentVolumeClaim, StorageClass,
// CSIDriver, CSINode, VolumeAttachment, CSIStorageCapacity), as kube-apiserver's printers print them.
import type { KObject } from '@skiff/kernel';
import { ageCol, get, nameCol, type Column } from './table-kit.ts';

const SHORT_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

/** GetAccessModesAsString: the short forms, each once, in kube's order. */
export function accessModesString(modes: unknown): string {
  const list = Array.isArray(modes) ? modes : [];
  return ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'].filter((m) => list.includes(m)).map((m) => SHORT_MODES[m]).join(',');
}

/** The class of a PV or PVC: spec.storageClassName, else the beta annotation. */
export function storageClassOf(o: KObject): string {
  const beta = o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'];
  return beta ?? get(o, 'spec', 'storageClassName') ?? '';
}

/** IsDefaultAnnotation: the GA or the beta annotation says "true". */
export function isDefaultClass(o: KObject): boolean {
  const a = o.metadata.annotations ?? {};
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

const vac = (o: KObject) => get(o, 'spec', 'volumeAttributesClassName') || '<unset>';
const volumeMode = (o: KObject) => get(o, 'spec', 'volumeMode') ?? '<unset>';

export const storageColumns: Record<string, Column[]> = {
  persistentvolumes: [
    nameCol,
    { name: 'Capacity', type: 'string', description: 'capacity is the description of the persistent volume\'s resources and capacity.', cell: (o) => String(get(o, 'spec', 'capacity', 'storage') ?? '') },
    { name: 'Access Modes', type: 'string', description: 'accessModes contains all ways the volume can be mounted.', cell: (o) => accessModesString(get(o, 'spec', 'accessModes')) },
    { name: 'Reclaim Policy', type: 'string', description: 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.', cell: (o) => get(o, 'spec', 'persistentVolumeReclaimPolicy') ?? '' },
    { name: 'Status', type: 'string', description: 'phase indicates if a volume is available, bound to a claim, or released by a claim.', cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : get(o, 'status', 'phase') ?? '') },
    {
      name: 'Claim', type: 'string', description: 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
      cell: (o) => { const r = get(o, 'spec', 'claimRef'); return r ? `${r.namespace ?? ''}/${r.name ?? ''}` : ''; },
    },
    { name: 'StorageClass', type: 'string', description: 'storageClassName is the name of StorageClass to which this persistent volume belongs.', cell: storageClassOf },
    { name: 'VolumeAttributesClass', type: 'string', description: 'Name of VolumeAttributesClass to which this persistent volume belongs.', cell: vac },
    { name: 'Reason', type: 'string', description: 'reason is a brief CamelCase string that describes any failure.', cell: (o) => get(o, 'status', 'reason') ?? '' },
    ageCol,
    { name: 'VolumeMode', type: 'string', priority: 1, description: 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', cell: volumeMode },
  ],
  persistentvolumeclaims: [
    nameCol,
    { name: 'Status', type: 'string', description: 'phase represents the current phase of PersistentVolumeClaim.', cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : get(o, 'status', 'phase') ?? '') },
    { name: 'Volume', type: 'string', description: 'volumeName is the binding reference to the PersistentVolume backing this claim.', cell: (o) => get(o, 'spec', 'volumeName') ?? '' },
    { name: 'Capacity', type: 'string', description: 'capacity represents the actual resources of the underlying volume.', cell: (o) => (get(o, 'spec', 'volumeName') ? String(get(o, 'status', 'capacity', 'storage') ?? '') : '') },
    { name: 'Access Modes', type: 'string', description: 'accessModes contains the actual access modes the volume backing the PVC has.', cell: (o) => (get(o, 'spec', 'volumeName') ? accessModesString(get(o, 'status', 'accessModes')) : '') },
    { name: 'StorageClass', type: 'string', description: 'storageClassName is the name of the StorageClass required by the claim.', cell: storageClassOf },
    { name: 'VolumeAttributesClass', type: 'string', description: 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.', cell: vac },
    ageCol,
    { name: 'VolumeMode', type: 'string', priority: 1, description: 'volumeMode defines what type of volume is required by the claim.', cell: volumeMode },
  ],
  storageclasses: [
    { ...nameCol, cell: (o) => (isDefaultClass(o) ? `${o.metadata.name} (default)` : o.metadata.name) },
    { name: 'Provisioner', type: 'string', description: 'provisioner indicates the type of the provisioner.', cell: (o) => get(o, 'provisioner') ?? '' },
    { name: 'ReclaimPolicy', type: 'string', description: 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.', cell: (o) => get(o, 'reclaimPolicy') ?? 'Delete' },
    { name: 'VolumeBindingMode', type: 'string', description: 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.', cell: (o) => get(o, 'volumeBindingMode') ?? 'Immediate' },
    { name: 'AllowVolumeExpansion', type: 'string', description: 'allowVolumeExpansion shows whether the storage class allow volume expand.', cell: (o) => String(get(o, 'allowVolumeExpansion') === true) },
    ageCol,
  ],
  csidrivers: [
    nameCol,
    { name: 'AttachRequired', type: 'boolean', description: 'attachRequired indicates this CSI volume driver requires an attach operation.', cell: (o) => get(o, 'spec', 'attachRequired') === true },
    { name: 'PodInfoOnMount', type: 'boolean', description: 'podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.', cell: (o) => get(o, 'spec', 'podInfoOnMount') === true },
    { name: 'StorageCapacity', type: 'boolean', description: 'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.', cell: (o) => get(o, 'spec', 'storageCapacity') === true },
    {
      name: 'TokenRequests', type: 'string', description: 'tokenRequests indicates the CSI driver needs pods\' service account tokens.',
      cell: (o) => ((get(o, 'spec', 'tokenRequests') ?? []) as { audience?: string }[]).map((t) => t.audience ?? '').join(',') || '<unset>',
    },
    { name: 'RequiresRepublish', type: 'boolean', description: 'requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called.', cell: (o) => get(o, 'spec', 'requiresRepublish') === true },
    { name: 'Modes', type: 'string', description: 'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.', cell: (o) => ((get(o, 'spec', 'volumeLifecycleModes') ?? []) as string[]).join(',') || '<none>' },
    ageCol,
  ],
  csinodes: [nameCol, { name: 'Drivers', type: 'integer', description: 'Drivers indicates the number of CSI drivers registered on the node', cell: (o) => (get(o, 'spec', 'drivers') ?? []).length }, ageCol],
  volumeattachments: [
    nameCol,
    { name: 'Attacher', type: 'string', format: 'name', description: 'attacher indicates the name of the volume driver that MUST handle this request.', cell: (o) => get(o, 'spec', 'attacher') ?? '' },
    { name: 'PV', type: 'string', description: 'persistentVolumeName represents the name of the persistent volume to attach.', cell: (o) => get(o, 'spec', 'source', 'persistentVolumeName') ?? '' },
    { name: 'Node', type: 'string', description: 'nodeName represents the node that the volume should be attached to.', cell: (o) => get(o, 'spec', 'nodeName') ?? '' },
    { name: 'Attached', type: 'boolean', description: 'attached indicates the volume is successfully attached.', cell: (o) => get(o, 'status', 'attached') === true },
    ageCol,
  ],
  csistoragecapacities: [
    nameCol,
    { name: 'StorageClassName', type: 'string', description: 'storageClassName represents the name of the StorageClass that the reported capacity applies to.', cell: (o) => get(o, 'storageClassName') ?? '' },
    { name: 'Capacity', type: 'string', description: 'capacity is the value reported by the CSI driver in its GetCapacityResponse.', cell: (o) => String(get(o, 'capacity') ?? '') },
    ageCol,
  ],
};
