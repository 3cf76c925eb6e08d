// metav1.ObjectMeta validation, as Kubernetes' ValidateObjectMeta / ValidateObjectMetaUpdate.
import type { KObject } from '../types.ts';
import type { KindDefinition } from './kind-definition.ts';
import { INT64_MAX } from './limits.ts';
import { asArr, cause, child, deepEqual, isObj, type Obj, type StatusCause } from './causes.ts';
import {
  isDNS1123Label,
  isQualifiedName,
  nameIsDNSSubdomain,
  validateAnnotations,
  validateInt,
  validateLabels,
  validateString,
  type NameCheck,
} from './validation.ts';

export type { NameCheck };

export interface ObjectMetaOptions {
  namespaced: boolean;
  /** how metadata.name (and generateName) is checked; default DNS-1123 subdomain */
  nameCheck?: NameCheck;
}

/** A KindDefinition that also says how its names are checked (Namespace: DNS label, Service: DNS-1035 label). */
export interface SkiffKindDefinition extends KindDefinition {
  nameCheck?: NameCheck;
}

/** The name check of a kind (default: DNS-1123 subdomain). */
export function nameCheckOf(def: KindDefinition): NameCheck {
  return (def as SkiffKindDefinition).nameCheck ?? nameIsDNSSubdomain;
}

// (and the CRD cleanup finalizer, which apiextensions' own metadata validation lets through)
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion', 'customresourcecleanup.apiextensions.k8s.io']);

export function validateFinalizers(finalizers: unknown, field: string): StatusCause[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers)) return [cause.typeInvalid(field, finalizers, 'must be an array of strings')];
  const out: StatusCause[] = [];
  finalizers.forEach((f, i) => {
    const fp = child(field, i);
    if (typeof f !== 'string') return void out.push(cause.typeInvalid(fp, f, 'must be a string'));
    const errs = isQualifiedName(f);
    out.push(...errs.map((m) => cause.invalid(fp, f, m)));
    if (!errs.length && !f.includes('/') && !STANDARD_FINALIZERS.has(f))
      out.push(cause.invalid(fp, f, 'name is neither a standard finalizer name nor is it fully qualified'));
  });
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion'))
    out.push(cause.invalid(field, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  return out;
}

/** Kubernetes reports owner reference fields without an index (metadata.ownerReferences.uid). */
export function validateOwnerReferences(refs: unknown, field: string): StatusCause[] {
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [cause.typeInvalid(field, refs, 'must be an array')];
  const out: StatusCause[] = [];
  const controllers: string[] = [];
  refs.forEach((r, i) => {
    if (!isObj(r)) return void out.push(cause.typeInvalid(child(field, i), r, 'must be an object'));
    const apiVersion = typeof r.apiVersion === 'string' ? r.apiVersion : '';
    const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
    if (!version) out.push(cause.invalid(child(field, 'apiVersion'), r.apiVersion ?? '', 'version must not be empty'));
    if (typeof r.kind !== 'string' || !r.kind) out.push(cause.invalid(child(field, 'kind'), r.kind ?? '', 'kind must not be empty'));
    if (typeof r.name !== 'string' || !r.name) out.push(cause.invalid(child(field, 'name'), r.name ?? '', 'name must not be empty'));
    if (typeof r.uid !== 'string' || !r.uid) out.push(cause.invalid(child(field, 'uid'), r.uid ?? '', 'uid must not be empty'));
    for (const b of ['controller', 'blockOwnerDeletion'])
      if (r[b] !== undefined && r[b] !== null && typeof r[b] !== 'boolean') out.push(cause.typeInvalid(child(field, i, b), r[b], 'must be a boolean'));
    if (r.controller === true) controllers.push(`${String(r.kind)}/${String(r.name)}`);
  });
  if (controllers.length > 1)
    out.push(cause.invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controllers[0]} and ${controllers[1]}`));
  return out;
}

function stringField(meta: Obj, name: string, out: StatusCause[]): void {
  const v = meta[name];
  if (v !== undefined && v !== null && typeof v !== 'string') out.push(cause.typeInvalid(`metadata.${name}`, v, 'must be a string'));
}

export function validateObjectMeta(obj: unknown, opts: ObjectMetaOptions): StatusCause[] {
  if (!isObj(obj)) return [cause.typeInvalid('', obj, 'must be an object')];
  const meta = obj.metadata;
  if (meta === undefined || meta === null) return [cause.required('metadata.name', 'name or generateName is required')];
  if (!isObj(meta)) return [cause.typeInvalid('metadata', meta, 'must be an object')];
  const check = opts.nameCheck ?? nameIsDNSSubdomain;
  const out: StatusCause[] = [];

  const { name, generateName, namespace } = meta;
  if ((name === undefined || name === null || name === '') && (generateName === undefined || generateName === null || generateName === ''))
    out.push(cause.required('metadata.name', 'name or generateName is required'));
  out.push(...validateString(name, 'metadata.name', (s) => check(s, false)));
  out.push(...validateString(generateName, 'metadata.generateName', (s) => check(s, true)));

  if (opts.namespaced) {
    out.push(...validateString(namespace, 'metadata.namespace', isDNS1123Label, { required: true }));
  } else if (namespace !== undefined && namespace !== null && namespace !== '') {
    out.push(cause.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp']) stringField(meta, f, out);
  // both int64 in Kubernetes
  out.push(...validateInt(meta.generation, 'metadata.generation', { min: 0, max: INT64_MAX }));
  out.push(...validateInt(meta.deletionGracePeriodSeconds, 'metadata.deletionGracePeriodSeconds', { min: 0, max: INT64_MAX }));
  out.push(...validateLabels(meta.labels, 'metadata.labels'));
  out.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  out.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  out.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  if (meta.managedFields !== undefined && meta.managedFields !== null && !Array.isArray(meta.managedFields))
    out.push(cause.typeInvalid('metadata.managedFields', meta.managedFields, 'must be an array'));
  return out;
}

/** The fields of metav1.ObjectMeta (clusterName was removed in Kubernetes 1.25). */
export const OBJECT_META_FIELDS: ReadonlySet<string> = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

/**
 * ObjectMeta as kube-apiserver decodes it into its typed struct, in place: a field it does not have
 * (`$anything`, `clusterName`, a typo) is dropped, not stored, and a null is an unset field. Runs on
 * every write, whatever brought the field (a body, a merge or strategic patch, a JSON patch).
 */
export function pruneObjectMeta(obj: unknown): void {
  if (!isObj(obj) || !isObj(obj.metadata)) return;
  const meta = obj.metadata;
  for (const k of Object.keys(meta)) if (!OBJECT_META_FIELDS.has(k) || meta[k] === null) delete meta[k];
}

/** Two RFC 3339 times of the same second (metav1.Time has second precision: "07Z" and "07.000Z" are one time). */
function sameInstant(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return !Number.isNaN(ta) && Math.floor(ta / 1000) === Math.floor(tb / 1000);
}

/** Update rules: name, namespace, uid and creationTimestamp never change; no new finalizers while deleting. */
export function validateObjectMetaUpdate(obj: KObject | unknown, old: KObject | unknown): StatusCause[] {
  const m = isObj(obj) && isObj(obj.metadata) ? obj.metadata : {};
  const o = isObj(old) && isObj(old.metadata) ? old.metadata : {};
  const out: StatusCause[] = [];
  for (const f of ['name', 'namespace']) {
    const nv = m[f] ?? '';
    const ov = o[f] ?? '';
    if (!deepEqual(nv, ov)) out.push(cause.immutable(`metadata.${f}`, nv));
  }
  // uid and creationTimestamp may be omitted on update (the kernel keeps the stored ones)
  for (const f of ['uid', 'creationTimestamp']) {
    const nv = m[f];
    if (nv !== undefined && nv !== null && nv !== '' && o[f] !== undefined && !deepEqual(nv, o[f]) && !(f === 'creationTimestamp' && sameInstant(nv, o[f])))
      out.push(cause.immutable(`metadata.${f}`, nv));
  }
  if (o.deletionTimestamp) {
    const oldF = new Set(asArr(o.finalizers));
    const added = asArr(m.finalizers).filter((f) => !oldF.has(f));
    if (added.length)
      out.push(cause.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
  }
  return out;
}
