// storage.k8s.io/v1: StorageClass, CSIDriver, CSINode, VolumeAttachment and CSIStorageCapacity, as
// kube's pkg/apis/storage validation and defaults treat them.
import { asArr, asObj, cause, child, isObj, isUnset, setDefault, type Obj, type StatusCause } from '../causes.ts';
import { validateLabelSelector } from '../label-selector.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { isDNS1123Subdomain, isQualifiedName, validateEnum, validateInt, validateQuantity, validateString } from '../validation.ts';
import { immutable, objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';

export const RECLAIM_POLICIES = ['Delete', 'Retain'] as const;
export const VOLUME_BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'] as const;
/** kube's maxProvisionerParameterSize / len */
const MAX_PARAMETERS_SIZE = 256 * 1024;
const MAX_PARAMETERS_LEN = 512;

const topologySelectorTerm = S.obj({ matchLabelExpressions: S.arr(S.obj({ key: S.str, values: S.strArr })) });
const storageClassProps = {
  provisioner: S.str,
  parameters: S.strMap,
  reclaimPolicy: S.str,
  mountOptions: S.strArr,
  allowVolumeExpansion: S.bool,
  volumeBindingMode: S.str,
  allowedTopologies: S.arr(topologySelectorTerm),
};

function validateParameters(params: unknown): StatusCause[] {
  if (!isObj(params)) return [];
  const entries = Object.entries(params);
  if (entries.length > MAX_PARAMETERS_LEN) return [cause.tooMany('parameters', entries.length, MAX_PARAMETERS_LEN)];
  let size = 0;
  for (const [k, v] of entries) {
    if (k === '') return [cause.invalid('parameters', params, 'key must not be empty')];
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  return size > MAX_PARAMETERS_SIZE ? [cause.tooLong('parameters', MAX_PARAMETERS_SIZE)] : [];
}

function validateAllowedTopologies(terms: unknown): StatusCause[] {
  const out: StatusCause[] = [];
  asArr(terms).forEach((t, i) => {
    const f = child('allowedTopologies', i);
    const exprs = asArr(asObj(t)?.matchLabelExpressions);
    if (exprs.length === 0) out.push(cause.required(child(f, 'matchLabelExpressions'), 'must have at least one label expression'));
    const keys = new Set<string>();
    exprs.forEach((e, j) => {
      const ef = child(child(f, 'matchLabelExpressions'), j);
      const ex = asObj(e) ?? {};
      out.push(...validateString(ex.key, child(ef, 'key'), isQualifiedName, { required: true }));
      if (typeof ex.key === 'string') {
        if (keys.has(ex.key)) out.push(cause.duplicate(child(ef, 'key'), ex.key));
        keys.add(ex.key);
      }
      if (asArr(ex.values).length === 0) out.push(cause.required(child(ef, 'values'), 'must specify as least one value'));
    });
  });
  return out;
}

function validateStorageClass(o: Obj, old?: Obj): StatusCause[] {
  const out = structure(o, storageClassProps);
  if (out.length) return out;
  out.push(...validateString(o.provisioner, 'provisioner', isQualifiedName, { required: true }));
  out.push(...validateParameters(o.parameters));
  out.push(...validateEnum(o.reclaimPolicy, 'reclaimPolicy', RECLAIM_POLICIES));
  out.push(...validateEnum(o.volumeBindingMode, 'volumeBindingMode', VOLUME_BINDING_MODES, { required: true }));
  out.push(...validateAllowedTopologies(o.allowedTopologies));
  if (old) {
    // ValidateStorageClassUpdate
    if (JSON.stringify(o.parameters ?? {}) !== JSON.stringify(old.parameters ?? {})) out.push(cause.forbidden('parameters', 'updates to parameters are forbidden.'));
    if (o.provisioner !== old.provisioner) out.push(cause.forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (o.reclaimPolicy !== old.reclaimPolicy) out.push(cause.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    out.push(...immutable(o.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
  }
  return out;
}

export const storageClassKind: SkiffKindDefinition = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  resource: 'storageclasses',
  singular: 'storageclass',
  namespaced: false,
  shortNames: ['sc'],
  specFields: Object.keys(storageClassProps),
  schema: objectSchema(storageClassProps),
  default: safeDefault((o) => {
    setDefault(o, 'reclaimPolicy', 'Delete');
    setDefault(o, 'volumeBindingMode', 'Immediate');
  }),
  validate: safeValidate(validateStorageClass),
};

// ---- CSIDriver ----
export const FS_GROUP_POLICIES = ['ReadWriteOnceWithFSType', 'File', 'None'] as const;
export const VOLUME_LIFECYCLE_MODES = ['Persistent', 'Ephemeral'] as const;
const csiDriverSpec = S.obj({
  attachRequired: S.bool,
  podInfoOnMount: S.bool,
  volumeLifecycleModes: S.strArr,
  storageCapacity: S.bool,
  fsGroupPolicy: S.str,
  tokenRequests: S.arr(S.obj({ audience: S.str, expirationSeconds: S.int64 })),
  requiresRepublish: S.bool,
  seLinuxMount: S.bool,
});

function validateCSIDriver(o: Obj, old?: Obj): StatusCause[] {
  const out = structure(o, { spec: csiDriverSpec });
  if (out.length) return out;
  const spec = asObj(o.spec);
  if (!spec) return [cause.required('spec')];
  if (isUnset(spec.attachRequired)) out.push(cause.required('spec.attachRequired'));
  if (isUnset(spec.podInfoOnMount)) out.push(cause.required('spec.podInfoOnMount'));
  asArr(spec.volumeLifecycleModes).forEach((m, i) => out.push(...validateEnum(m, child('spec.volumeLifecycleModes', i), VOLUME_LIFECYCLE_MODES)));
  out.push(...validateEnum(spec.fsGroupPolicy, 'spec.fsGroupPolicy', FS_GROUP_POLICIES));
  const seen = new Set<string>();
  asArr(spec.tokenRequests).forEach((t, i) => {
    const a = asObj(t)?.audience;
    if (typeof a === 'string') {
      if (seen.has(a)) out.push(cause.duplicate(child(child('spec.tokenRequests', i), 'audience'), a));
      seen.add(a);
    }
  });
  if (old) {
    const oldSpec = asObj(old.spec) ?? {};
    // ValidateCSIDriverUpdate: these are fixed once the driver is registered
    for (const f of ['attachRequired', 'fsGroupPolicy', 'podInfoOnMount', 'volumeLifecycleModes']) out.push(...immutable(spec[f], oldSpec[f], child('spec', f)));
  }
  return out;
}

export const csiDriverKind: SkiffKindDefinition = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSIDriver',
  resource: 'csidrivers',
  singular: 'csidriver',
  namespaced: false,
  schema: objectSchema({ spec: csiDriverSpec }),
  default: safeDefault((o) => {
    const spec = asObj(o.spec);
    if (!spec) return;
    setDefault(spec, 'attachRequired', true);
    setDefault(spec, 'podInfoOnMount', false);
    setDefault(spec, 'storageCapacity', false);
    setDefault(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
    setDefault(spec, 'requiresRepublish', false);
    setDefault(spec, 'seLinuxMount', false);
    if (isUnset(spec.volumeLifecycleModes) || asArr(spec.volumeLifecycleModes).length === 0) spec.volumeLifecycleModes = ['Persistent'];
  }),
  validate: safeValidate(validateCSIDriver),
};

// ---- CSINode ----
const csiNodeSpec = S.obj({
  drivers: S.arr(S.obj({ name: S.str, nodeID: S.str, topologyKeys: S.strArr, allocatable: S.obj({ count: S.int }) })),
});

function validateCSINode(o: Obj): StatusCause[] {
  const out = structure(o, { spec: csiNodeSpec });
  if (out.length) return out;
  const spec = asObj(o.spec);
  if (!spec) return [cause.required('spec')];
  const names = new Set<string>();
  asArr(spec.drivers).forEach((d, i) => {
    const f = child('spec.drivers', i);
    const drv = asObj(d) ?? {};
    out.push(...validateString(drv.name, child(f, 'name'), isDNS1123Subdomain, { required: true }));
    if (typeof drv.name === 'string') {
      if (names.has(drv.name)) out.push(cause.duplicate(child(f, 'name'), drv.name));
      names.add(drv.name);
    }
    if (isUnset(drv.nodeID)) out.push(cause.required(child(f, 'nodeID')));
    const count = asObj(drv.allocatable)?.count;
    if (count !== undefined) out.push(...validateInt(count, child(child(f, 'allocatable'), 'count'), { min: 0 }));
  });
  return out;
}

export const csiNodeKind: SkiffKindDefinition = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSINode',
  resource: 'csinodes',
  singular: 'csinode',
  namespaced: false,
  schema: objectSchema({ spec: csiNodeSpec }),
  validate: safeValidate(validateCSINode),
};

// ---- VolumeAttachment ----
const volumeError = S.obj({ time: S.str, message: S.str, errorCode: S.int });
const volumeAttachmentProps = {
  spec: S.obj({
    attacher: S.str,
    source: S.obj({ persistentVolumeName: S.str, inlineVolumeSpec: S.obj() }),
    nodeName: S.str,
  }),
  status: S.obj({ attached: S.bool, attachmentMetadata: S.strMap, attachError: volumeError, detachError: volumeError }),
};

function validateVolumeAttachment(o: Obj, old?: Obj): StatusCause[] {
  const out = structure(o, volumeAttachmentProps);
  if (out.length) return out;
  const spec = asObj(o.spec);
  if (!spec) return [cause.required('spec')];
  out.push(...validateString(spec.attacher, 'spec.attacher', isQualifiedName, { required: true }));
  out.push(...validateString(spec.nodeName, 'spec.nodeName', isDNS1123Subdomain, { required: true }));
  const src = asObj(spec.source) ?? {};
  const n = ['persistentVolumeName', 'inlineVolumeSpec'].filter((k) => !isUnset(src[k])).length;
  if (n === 0) out.push(cause.required('spec.source', 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
  else if (n > 1) out.push(cause.forbidden('spec.source', 'must specify exactly one of inlineVolumeSpec and persistentVolumeName'));
  if (old) out.push(...immutable(spec, asObj(old.spec), 'spec'));
  return out;
}

export const volumeAttachmentKind: SkiffKindDefinition = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'VolumeAttachment',
  resource: 'volumeattachments',
  singular: 'volumeattachment',
  namespaced: false,
  subresources: ['status'],
  schema: objectSchema(volumeAttachmentProps),
  validate: safeValidate(validateVolumeAttachment),
};

// ---- CSIStorageCapacity ----
const capacityProps = { nodeTopology: S.obj(), storageClassName: S.str, capacity: S.quantity, maximumVolumeSize: S.quantity };

function validateCapacity(o: Obj, old?: Obj): StatusCause[] {
  const out = structure(o, capacityProps);
  if (out.length) return out;
  out.push(...validateString(o.storageClassName, 'storageClassName', isDNS1123Subdomain, { required: true }));
  if (o.nodeTopology !== undefined) out.push(...validateLabelSelector(o.nodeTopology, 'nodeTopology'));
  if (o.capacity !== undefined) out.push(...validateQuantity(o.capacity, 'capacity'));
  if (o.maximumVolumeSize !== undefined) out.push(...validateQuantity(o.maximumVolumeSize, 'maximumVolumeSize'));
  if (old) {
    out.push(...immutable(o.storageClassName, old.storageClassName, 'storageClassName'));
    out.push(...immutable(o.nodeTopology, old.nodeTopology, 'nodeTopology'));
  }
  return out;
}

export const csiStorageCapacityKind: SkiffKindDefinition = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSIStorageCapacity',
  resource: 'csistoragecapacities',
  singular: 'csistoragecapacity',
  namespaced: true,
  specFields: Object.keys(capacityProps),
  schema: objectSchema(capacityProps),
  validate: safeValidate(validateCapacity),
};
