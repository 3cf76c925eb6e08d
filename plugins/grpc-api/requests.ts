// The messages of skiff.v1.Objects checked at the door: what a ResourceRef names (the kind must be
// served; namespaces as the kind's scope wants them), and objects and patches decoded from their
// bytes with the REST API's limits. Every problem is a 400 (INVALID_ARGUMENT) whose causes name the
// request field; the kernel's own validation of the object comes after, as a 422 naming its fields.
import { checkBodyDepth, errors, StatusError, type Kernel, type KindInfo, type KObject, type PatchType, type StatusCause } from '@skiff/kernel';
import { parseYamlBody } from '@skiff/client/api-frontend';

/** A decoded skiff.v1.ResourceRef (proto-loader: camelCase, unset strings ""). */
export interface RefMessage {
  group: string;
  version: string;
  resource: string;
  namespace: string;
  name: string;
  subresource: string;
}

export interface Target {
  kind: KindInfo;
  ref: { group: string; version: string; resource: string };
  /** undefined: cluster-scoped, or all namespaces */
  namespace: string | undefined;
  name: string;
  subresource: string;
}

/** What a request that is not a valid protobuf message of its type decodes to (see server.ts). */
export const UNDECODABLE = Symbol('undecodable request');

/** Throws INVALID_ARGUMENT for a request whose bytes did not decode (grpc-js would answer INTERNAL). */
export function checkDecoded(req: unknown): void {
  const why = (req as { [UNDECODABLE]?: string } | null)?.[UNDECODABLE];
  if (why !== undefined) throw errors.badRequest(`the request is not a valid protobuf message of its type: ${why}`);
}

/** A 400 BadRequest naming the request's fields (INVALID_ARGUMENT with causes). */
export function badRequest(causes: StatusCause[]): StatusError {
  const s = errors.badRequest(causes.map((c) => `${c.field}: ${c.message}`).join(', ')).status;
  return new StatusError({ ...s, details: { causes } });
}

const required = (field: string): StatusCause => ({ reason: 'FieldValueRequired', field, message: 'Required value' });

/** kube's FieldManagerMaxLength */
const FIELD_MANAGER_MAX = 128;

export function checkFieldManager(fm: string): void {
  if (fm === '') return;
  if (Buffer.byteLength(fm) > FIELD_MANAGER_MAX) throw badRequest([{ reason: 'FieldValueTooLong', field: 'field_manager', message: `Too long: may not be more than ${FIELD_MANAGER_MAX} bytes` }]);
  // kube: printable ASCII only
  if (!/^[\x20-\x7e]*$/.test(fm)) throw badRequest([{ reason: 'FieldValueInvalid', field: 'field_manager', message: 'Invalid value: must only contain printable characters' }]);
}

/**
 * The kind and address a ref names. `name`: whether the call needs ref.name; `namespace`: whether a
 * namespaced kind needs ref.namespace (Get, Update, Patch, Delete do; List and Watch mean all
 * namespaces without one; Create may take the object's).
 */
export function target(kernel: Kernel, ref: RefMessage | null | undefined, need: { name: boolean; namespace: boolean; subresources?: readonly string[] }): Target {
  if (!ref) throw badRequest([required('ref')]);
  const causes: StatusCause[] = [];
  if (ref.version === '') causes.push(required('ref.version'));
  if (ref.resource === '') causes.push(required('ref.resource'));
  if (causes.length) throw badRequest(causes);
  const r = { group: ref.group, version: ref.version, resource: ref.resource };
  const kind = kernel.kindFor(r); // 404 NotFound for a kind not served
  if (need.name && ref.name === '') causes.push(required('ref.name'));
  if (kind.namespaced) {
    if (need.namespace && ref.namespace === '') causes.push(required('ref.namespace'));
  } else if (ref.namespace !== '') {
    causes.push({ reason: 'FieldValueForbidden', field: 'ref.namespace', message: `Forbidden: ${kind.resource}${kind.group ? '.' + kind.group : ''} is cluster-scoped` });
  }
  if (ref.subresource !== '') {
    if (!kind.subresources.includes(ref.subresource)) {
      throw errors.noSuchResource(`the server could not find the requested resource (${kind.resource}/${ref.subresource})`);
    }
    if (!need.subresources?.includes(ref.subresource)) {
      causes.push({ reason: 'FieldValueNotSupported', field: 'ref.subresource', message: `Unsupported value: "${ref.subresource}": this call takes ${need.subresources?.length ? need.subresources.map((s) => `"${s}"`).join(', ') + ' or none' : 'none'}` });
    }
  }
  if (causes.length) throw badRequest(causes);
  return { kind, ref: r, namespace: kind.namespaced && ref.namespace !== '' ? ref.namespace : undefined, name: ref.name, subresource: ref.subresource };
}

/** JSON bytes -> a JSON object (not a list, string, ...), its nesting bounded as the REST API's. */
export function decodeObject(msg: { json: Buffer } | null | undefined, field: string): KObject {
  if (!msg || msg.json.length === 0) throw badRequest([required(`${field}.json`)]);
  const v = parseJson(msg.json, `${field}.json`);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest([{ reason: 'FieldValueInvalid', field: `${field}.json`, message: 'Invalid value: must be a JSON object' }]);
  const meta = (v as Record<string, unknown>).metadata;
  if (meta !== undefined && meta !== null && (typeof meta !== 'object' || Array.isArray(meta))) {
    throw badRequest([{ reason: 'FieldValueInvalid', field: `${field}.json`, message: `Invalid value: metadata must be an object, not ${Array.isArray(meta) ? 'a list' : typeof meta}` }]);
  }
  const o = v as KObject;
  if (typeof o.metadata !== 'object' || o.metadata === null) o.metadata = {};
  return o;
}

function parseJson(b: Buffer, field: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(b.toString('utf8')); // V8's JSON.parse does not recurse: any depth parses, then the depth is checked
  } catch (e) {
    throw badRequest([{ reason: 'FieldValueInvalid', field, message: `Invalid value: not JSON: ${(e as Error).message}` }]);
  }
  checkBodyDepth(v, field);
  return v;
}

/** Kubernetes patch content types -> the kernel's patch types. */
export const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** PatchRequest.patch_type and .patch -> the kernel's patch type and the patch value. */
export function decodePatch(patchType: string, patch: Buffer): { type: PatchType; value: unknown } {
  const type = Object.hasOwn(PATCH_TYPES, patchType) ? PATCH_TYPES[patchType]! : undefined;
  if (!type) {
    throw badRequest([{ reason: 'FieldValueNotSupported', field: 'patch_type', message: `Unsupported value: ${JSON.stringify(patchType)}: supported values: ${Object.keys(PATCH_TYPES).map((t) => `"${t}"`).join(', ')}` }]);
  }
  if (patch.length === 0) throw badRequest([required('patch')]);
  if (type !== 'apply') return { type, value: parseJson(patch, 'patch') };
  // an apply configuration is YAML (JSON is YAML too), with the REST API's limits
  try {
    const value = parseYamlBody(patch.toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw errors.badRequest('the apply configuration must be an object');
    return { type, value };
  } catch (e) {
    const s = (e as StatusError).status;
    if (!s) throw e;
    throw badRequest([{ reason: 'FieldValueInvalid', field: 'patch', message: `Invalid value: ${s.message}` }]);
  }
}
