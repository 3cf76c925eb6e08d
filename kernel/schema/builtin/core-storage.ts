// core/v1 PersistentVolume and PersistentVolumeClaim (lightly: shape, access modes, storage sizes).
import { asArr, asObj, cause, child, ensureObj, isObj, key, setDefault, setStringDefault, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { validateEnum, validateQuantity, validateResourceList } from '../validation.ts';
import { immutable, objectSchema, safeDefault, safeValidate, sel, structure } from './helpers.ts';
import { VOLUME_SOURCES } from './pod-spec.ts';

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];

function validateAccessModes(modes: unknown, field: string): StatusCause[] {
  if (modes === undefined || modes === null || (Array.isArray(modes) && modes.length === 0)) return [cause.required(field)];
  const out: StatusCause[] = [];
  asArr(modes).forEach((m, i) => out.push(...validateEnum(m, child(field, i), ACCESS_MODES)));
  return out;
}

const PV_SOURCES = [...VOLUME_SOURCES.filter((s) => !['emptyDir', 'secret', 'configMap', 'downwardAPI', 'projected', 'gitRepo', 'persistentVolumeClaim', 'ephemeral', 'image'].includes(s)), 'local'];

const pvProps = {
  spec: S.obj({
    capacity: S.map(S.quantity),
    accessModes: S.strArr,
    persistentVolumeReclaimPolicy: S.str,
    storageClassName: S.str,
    volumeMode: S.str,
    claimRef: S.obj(),
    mountOptions: S.strArr,
    nodeAffinity: S.obj(),
    volumeAttributesClassName: S.str,
    hostPath: S.obj({ path: S.str, type: S.str }),
    local: S.obj({ path: S.str, fsType: S.str }),
    nfs: S.obj({ server: S.str, path: S.str, readOnly: S.bool }),
    ...Object.fromEntries(PV_SOURCES.filter((s) => !['hostPath', 'local', 'nfs'].includes(s)).map((s) => [s, S.obj()])),
  }),
  status: S.obj({ phase: S.str, message: S.str, reason: S.str, lastPhaseTransitionTime: S.str }),
};

function validatePV(o: Obj): StatusCause[] {
  const out = structure(o, pvProps);
  const spec = o.spec;
  if (!isObj(spec)) return spec === undefined || spec === null ? [...out, cause.required('spec')] : out;
  out.push(...validateAccessModes(spec.accessModes, 'spec.accessModes'));
  const cap = asObj(spec.capacity);
  if (!cap || cap.storage === undefined) out.push(cause.required(key('spec.capacity', 'storage')));
  else out.push(...validateResourceList(cap, 'spec.capacity'));
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) out.push(cause.required('spec', 'must specify a volume type'));
  for (const s of sources.slice(1)) out.push(cause.forbidden(child('spec', s), 'may not specify more than 1 volume type'));
  out.push(...validateEnum(spec.persistentVolumeReclaimPolicy, 'spec.persistentVolumeReclaimPolicy', ['Delete', 'Recycle', 'Retain']));
  out.push(...validateEnum(spec.volumeMode, 'spec.volumeMode', VOLUME_MODES));
  return out;
}

export const persistentVolumeKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  resource: 'persistentvolumes',
  singular: 'persistentvolume',
  namespaced: false,
  shortNames: ['pv'],
  subresources: ['status'],
  default: safeDefault((o) => {
    const spec = asObj(o.spec);
    if (spec) {
      setStringDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
      setDefault(spec, 'volumeMode', 'Filesystem');
    }
    const st = ensureObj(o, 'status');
    if (st) setDefault(st, 'phase', 'Pending');
  }),
  schema: objectSchema(pvProps),
  validate: safeValidate(validatePV),
};

const pvcProps = {
  spec: S.obj({
    accessModes: S.strArr,
    resources: S.obj({ requests: S.map(S.quantity), limits: S.map(S.quantity) }),
    storageClassName: S.str,
    volumeName: S.str,
    volumeMode: S.str,
    selector: S.obj(),
    dataSource: S.obj(),
    dataSourceRef: S.obj(),
    volumeAttributesClassName: S.str,
  }),
  status: S.obj({
    phase: S.str,
    capacity: S.map(S.quantity),
    accessModes: S.strArr,
    conditions: S.arr(S.obj()),
    allocatedResources: S.map(S.quantity),
    allocatedResourceStatuses: S.strMap,
    currentVolumeAttributesClassName: S.str,
    modifyVolumeStatus: S.obj(),
  }),
};
/** A PersistentVolumeClaim's fields (StatefulSet volumeClaimTemplates). */
export const persistentVolumeClaimSchema = S.obj({ apiVersion: S.str, kind: S.str, metadata: S.obj(), ...pvcProps });

function validatePVC(o: Obj, old?: Obj): StatusCause[] {
  const out = structure(o, pvcProps);
  const spec = o.spec;
  if (!isObj(spec)) return spec === undefined || spec === null ? [...out, cause.required('spec')] : out;
  out.push(...validateAccessModes(spec.accessModes, 'spec.accessModes'));
  const req = isObj(spec.resources) ? asObj(spec.resources.requests) : undefined;
  if (!req || req.storage === undefined) out.push(cause.required(key('spec.resources', 'storage')));
  else out.push(...validateQuantity(req.storage, key('spec.resources.requests', 'storage')));
  out.push(...validateEnum(spec.volumeMode, 'spec.volumeMode', VOLUME_MODES));
  const oldSpec = old && asObj(old.spec);
  if (oldSpec) {
    for (const f of ['accessModes', 'storageClassName', 'volumeMode', 'selector'])
      out.push(...immutable(spec[f], oldSpec[f], child('spec', f)));
    if (oldSpec.volumeName) out.push(...immutable(spec.volumeName, oldSpec.volumeName, 'spec.volumeName'));
  }
  return out;
}

export const persistentVolumeClaimKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  resource: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  namespaced: true,
  shortNames: ['pvc'],
  subresources: ['status'],
  default: safeDefault((o) => {
    const spec = asObj(o.spec);
    if (spec) setDefault(spec, 'volumeMode', 'Filesystem');
    const st = ensureObj(o, 'status');
    if (st) setDefault(st, 'phase', 'Pending');
  }),
  schema: objectSchema(pvcProps),
  validate: safeValidate(validatePVC),
  selectableFields: { 'spec.volumeName': sel('spec', 'volumeName') },
};
