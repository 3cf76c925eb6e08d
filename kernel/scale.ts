// The `scale` subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets, StatefulSets and
// ReplicationControllers: a view of the parent's spec.replicas, status.replicas and selector.
// Reading it is `toScale(kind, parent)`; writing it (update or patch with `subresource: 'scale'`)
// changes only the parent's spec.replicas — see ObjectLifecycle.writeScale. Front ends (REST, gRPC)
// share these functions.
import { labelSelectorString, labelSetString } from '@skiff/api';
import { errors } from './status.ts';
import { validateObjectMeta } from './schema/object-meta.ts';
import type { StatusCause } from './status.ts';
import type { KObject } from './types.ts';
import type { ScalePaths } from './schema/kind-definition.ts';

/** labels.Selector.String() of a LabelSelector (now @skiff/api's; kept here for the kernel's entries). */
export { labelSelectorString };

export const SCALE_API_VERSION = 'autoscaling/v1';
const SCALE_KIND = { group: 'autoscaling', resource: 'scale', kind: 'Scale' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The parent kind as a Scale needs it (a KindInfo or a KindDefinition). */
export interface ScaleParentKind {
  group: string;
  kind: string;
  resource: string;
  /** a CRD's scale paths; default spec.replicas, status.replicas and the LabelSelector at spec.selector */
  scale?: ScalePaths;
}

/** The value at a simple JSON path (`.spec.replicas`), as CRD scale paths are written. */
export function valueAtPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.replace(/^\./, '').split('.')) {
    if (!isObj(v)) return undefined;
    v = v[k];
  }
  return v;
}

/** A copy of `obj` with `value` at `path`, copying only the objects along the path. */
export function withValueAtPath<T>(obj: T, path: string, value: unknown): T {
  const keys = path.replace(/^\./, '').split('.');
  const set = (o: unknown, i: number): unknown => {
    const cur = isObj(o) ? o : {};
    return { ...cur, [keys[i]]: i === keys.length - 1 ? value : set(cur[keys[i]], i + 1) };
  };
  return set(obj, 0) as T;
}

/** The parent with its desired replicas set (spec.replicas, or a CRD's specReplicasPath). */
export function withScaleReplicas(kind: ScaleParentKind, parent: KObject, replicas: number): KObject {
  return withValueAtPath(parent, kind.scale?.specReplicasPath ?? '.spec.replicas', replicas);
}

/** A ReplicationController's selector is a plain label map; the apps kinds use a LabelSelector. */
const isPlainMapSelector = (k: ScaleParentKind) => k.group === '' && k.kind === 'ReplicationController';

/** The Scale of a parent object, as kube-apiserver's scale REST builds it. */
export function toScale(kind: ScaleParentKind, parent: KObject): KObject {
  const spec = isObj(parent.spec) ? parent.spec : {};
  const status = isObj(parent.status) ? parent.status : {};
  const m = parent.metadata;
  const paths = kind.scale;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const replicas = num(paths ? valueAtPath(parent, paths.specReplicasPath) : spec.replicas);
  const statusReplicas = num(paths ? valueAtPath(parent, paths.statusReplicasPath) : status.replicas);
  // a CRD's labelSelectorPath holds the selector's string form
  const atPath = paths?.labelSelectorPath ? valueAtPath(parent, paths.labelSelectorPath) : undefined;
  const selector = paths ? (typeof atPath === 'string' ? atPath : '') : isPlainMapSelector(kind) ? labelSetString(spec.selector) : labelSelectorString(spec.selector);
  return {
    kind: 'Scale',
    apiVersion: SCALE_API_VERSION,
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    // Go's omitempty: spec.replicas 0 and an empty selector are left out
    spec: replicas ? { replicas } : {},
    status: { replicas: statusReplicas, ...(selector ? { selector } : {}) },
  };
}

/** What a Scale written by a client asks for: the new replicas and, if given, a resourceVersion precondition. */
export interface ScaleChange {
  replicas: number;
  resourceVersion?: string;
}

/**
 * Check a Scale a client wrote (ValidateScale, the UID precondition) against the current parent.
 * Throws 400 for a body that is not a Scale, 422 for an invalid one, 409 for a UID mismatch.
 */
export function scaleChange(kind: ScaleParentKind, scale: unknown, parent: KObject): ScaleChange {
  if (!isObj(scale)) throw errors.badRequest('the request body must be a Scale object');
  if (scale.apiVersion !== undefined && scale.apiVersion !== SCALE_API_VERSION)
    throw errors.badRequest(`the API version in the data (${String(scale.apiVersion)}) does not match the expected API version (${SCALE_API_VERSION})`);
  if (scale.kind !== undefined && scale.kind !== 'Scale') throw errors.badRequest(`the kind in the data (${String(scale.kind)}) does not match the expected kind (Scale)`);
  const meta = isObj(scale.metadata) ? scale.metadata : {};
  const name = parent.metadata.name!;
  const causes: StatusCause[] = validateObjectMeta({ ...scale, metadata: { ...meta, name: meta.name ?? name, namespace: meta.namespace ?? parent.metadata.namespace } }, { namespaced: true });
  const spec = isObj(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas ?? 0; // int32 with omitempty: absent is 0
  if (typeof replicas !== 'number' || !Number.isInteger(replicas))
    causes.push({ reason: 'FieldValueTypeInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be an integer`, field: 'spec.replicas' });
  else if (replicas < 0) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0`, field: 'spec.replicas' });
  if (causes.length) throw errors.invalid(SCALE_KIND, name, causes);
  if (typeof meta.uid === 'string' && meta.uid !== '' && meta.uid !== parent.metadata.uid) {
    throw errors.conflict({ group: kind.group, resource: `${kind.resource}/scale` }, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${parent.metadata.uid}`);
  }
  const rv = meta.resourceVersion;
  return { replicas: replicas as number, ...(typeof rv === 'string' && rv !== '' ? { resourceVersion: rv } : {}) };
}
