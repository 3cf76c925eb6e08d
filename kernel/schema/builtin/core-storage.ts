// core/v1 PersistentVolume and PersistentVolumeClaim, as kube's ValidatePersistentVolume(Claim)(Update)
// check them: access modes, sizes, one volume source, what may change after creation.
import { tryParseQuantity } from '@skiff/api';
import { asArr, asObj, cause, child, ensureObj, isObj, isUnset, key, setDefault, setStringDefault, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { isDNS1123Subdomain, validateEnum, validateQuantity, validateResourceList, validateString } from '../validation.ts';
import { immutable, objectSchema, safeDefault, safeValidate, sel, structure } from './helpers.ts';
import { VOLUME_SOURCES } from './pod-spec.ts';

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];

function validateAccessModes(modes: unknown, field: string): StatusCause[] {
  if (modes === undefined || modes === null || (Array.isArray(modes) && modes.length === 0)) return [cause.required(field)];
  const out: StatusCause[] = [];
  asArr(modes).forEach((m, i) => out.push(...validateEnum(m, child(field, i), ACCESS_MODES)));
  if (asArr(modes).includes('ReadWriteOncePod') && asArr(modes).length > 1) out.push(cause.forbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  return out;
}

/** storageClassName: a DNS subdomain when set ("" means no class). */
const validateClassName = (v: unknown, field: string) => (isUnset(v) ? [] : validateString(v, field, isDNS1123Subdomain));

const PV_SOURCES = [...VOLUME_SOURCES.filter((s) => !['emptyDir', 'secret', 'configMap', 'downwardAPI', 'projected', 'gitRepo', 'persistentVolumeClaim', 'ephemeral', 'image'].includes(s)), 'local'];

const pvProps = {
  spec: S.obj({
    capacity: S.map(S.quantity),
    accessModes: S.strArr,
    persistentVolumeReclaimPolicy: S.str,
    storageClassName: S.str,
    volumeMode: S.str,
    claimRef: S.obj({ apiVersion: S.str, kind: S.str, namespace: S.str, name: S.str, uid: S.str, resourceVersion: S.str, fieldPath: S.str }),
    mountOptions: S.strArr,
    nodeAffinity: S.obj(),
    volumeAttributesClassName: S.str,
    hostPath: S.obj({ path: S.str, type: S.str }),
    local: S.obj({ path: S.str, fsType: S.str }),
    nfs: S.obj({ server: S.str, path: S.str, readOnly: S.bool }),
    csi: S.obj({
      driver: S.str, volumeHandle: S.str, readOnly: S.bool, fsType: S.str, volumeAttributes: S.strMap,
      ...Object.fromEntries(['controllerPublishSecretRef', 'nodeStageSecretRef', 'nodePublishSecretRef', 'controllerExpandSecretRef', 'nodeExpandSecretRef'].map((k) => [k, S.obj({ name: S.str, namespace: S.str })])),
    }),
    ...Object.fromEntries(PV_SOURCES.filter((s) => !['hostPath', 'local', 'nfs', 'csi'].includes(s)).map((s) => [s, S.obj()])),
  }),
  status: S.obj({ phase: S.str, message: S.str, reason: S.str, lastPhaseTransitionTime: S.str }),
};

function validatePV(o: Obj, old?: Obj): StatusCause[] {
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
  if (spec.persistentVolumeReclaimPolicy === 'Recycle' && sources.some((s) => s !== 'hostPath' && s !== 'nfs'))
    out.push(cause.forbidden('spec.persistentVolumeReclaimPolicy', 'may not be \'recycle\' for a volume other than hostPath or nfs'));
  out.push(...validateEnum(spec.volumeMode, 'spec.volumeMode', VOLUME_MODES));
  out.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  const csi = asObj(spec.csi);
  if (csi) {
    out.push(...validateString(csi.driver, 'spec.csi.driver', isDNS1123Subdomain, { required: true }));
    if (isUnset(csi.volumeHandle)) out.push(cause.required('spec.csi.volumeHandle'));
  }
  const claimRef = asObj(spec.claimRef);
  if (claimRef && isUnset(claimRef.name)) out.push(cause.required('spec.claimRef.name'));
  const oldSpec = old && asObj(old.spec);
  if (oldSpec) {
    // ValidatePersistentVolumeUpdate: the source, the mode and (once set) the node affinity are fixed
    const src = (x: Obj) => Object.fromEntries(PV_SOURCES.filter((k) => x[k] !== undefined && x[k] !== null).map((k) => [k, x[k]]));
    if (JSON.stringify(src(spec)) !== JSON.stringify(src(oldSpec))) out.push(cause.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    out.push(...immutable(spec.volumeMode, oldSpec.volumeMode, 'spec.volumeMode'));
    if (oldSpec.nodeAffinity) out.push(...immutable(spec.nodeAffinity, oldSpec.nodeAffinity, 'spec.nodeAffinity'));
  }
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
  else {
    const bad = validateQuantity(req.storage, key('spec.resources.requests', 'storage'));
    out.push(...bad);
    if (!bad.length && tryParseQuantity(req.storage) === 0) out.push(cause.invalid(key('spec.resources', 'storage'), req.storage, 'must be greater than zero'));
  }
  out.push(...validateEnum(spec.volumeMode, 'spec.volumeMode', VOLUME_MODES));
  out.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  const oldSpec = old && asObj(old.spec);
  if (oldSpec) out.push(...validatePVCUpdate(o, spec, old!, oldSpec));
  return out;
}

const storageOf = (spec: Obj) => {
  const v = asObj(asObj(spec.resources)?.requests)?.storage;
  return v === undefined ? undefined : tryParseQuantity(v);
};

/**
 * ValidatePersistentVolumeClaimUpdate: the spec is fixed after creation, except the storage request
 * of a bound claim (which may only grow; whether the class allows it is the resize admission's call)
 * and volumeName, which may be set once.
 */
function validatePVCUpdate(o: Obj, spec: Obj, old: Obj, oldSpec: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  const bound = asObj(o.status)?.phase === 'Bound' || asObj(old.status)?.phase === 'Bound';
  const a = structuredClone(spec);
  const b = structuredClone(oldSpec);
  const reqOf = (x: Obj) => asObj(asObj(x.resources)?.requests);
  if (bound && reqOf(a) && reqOf(b)) reqOf(a)!.storage = reqOf(b)!.storage;
  if (isUnset(b.volumeName)) b.volumeName = a.volumeName; // volumeName may be set once
  // a claim made without a class, not bound yet, may get one (the retroactive default class)
  if ((b.storageClassName === undefined || b.storageClassName === null) && isUnset(oldSpec.volumeName)) b.storageClassName = a.storageClassName;
  for (const x of [a, b]) for (const k of ['volumeAttributesClassName']) delete x[k];
  if (JSON.stringify(sortKeys(a)) !== JSON.stringify(sortKeys(b)))
    out.push(cause.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  const nw = storageOf(spec);
  const ol = storageOf(oldSpec);
  if (nw !== undefined && ol !== undefined && nw < ol) out.push(cause.forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v ?? null;
  return Object.fromEntries(Object.keys(v).filter((k) => v[k] !== undefined && v[k] !== null).sort().map((k) => [k, sortKeys(v[k])]));
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
