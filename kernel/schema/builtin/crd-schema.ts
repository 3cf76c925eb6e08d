// A CRD version's openAPIV3Schema as ajv sees it (x-kubernetes-* extensions, nullable), plus pruning of
// unknown fields as the Kubernetes API server does.
import { cause, isObj, type Obj, type StatusCause } from '../causes.ts';

/** Convert a structural schema to a plain JSON schema ajv validates as Kubernetes would. */
export function toAjvSchema(s: unknown, root = true): Obj {
  if (!isObj(s)) return {};
  const out: Obj = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'nullable' || k === 'example' || k === 'externalDocs') continue;
    if (k === 'properties' && isObj(v)) out.properties = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, toAjvSchema(ps, false)]));
    else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && isObj(v)) out[k] = toAjvSchema(v, false);
    else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) out[k] = v.map((x) => toAjvSchema(x, false));
    else out[k] = v;
  }
  if (s['x-kubernetes-int-or-string'] === true && out.type === undefined) {
    out.type = ['integer', 'string'];
    delete out.anyOf;
  }
  if (s.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (s['x-kubernetes-embedded-resource'] === true || root) {
    const props = (isObj(out.properties) ? out.properties : {}) as Obj;
    // metadata is validated by the kernel, apiVersion/kind by the API machinery
    props.apiVersion = { type: 'string' };
    props.kind = { type: 'string' };
    props.metadata = { type: 'object' };
    out.properties = props;
    // an embedded object names its kind (kube: apiVersion and kind must not be empty)
    if (!root) out.required = [...new Set([...(Array.isArray(out.required) ? out.required : []), 'apiVersion', 'kind'])];
  }
  return out;
}

/** Drop fields the schema does not declare (unless x-kubernetes-preserve-unknown-fields), in place. */
export function prune(value: unknown, schema: unknown, root = true): void {
  if (!isObj(schema)) return;
  if (Array.isArray(value)) {
    for (const item of value) prune(item, schema.items, false);
    return;
  }
  if (!isObj(value)) return;
  const props = isObj(schema.properties) ? schema.properties : undefined;
  const keep = root || schema['x-kubernetes-embedded-resource'] === true;
  for (const k of Object.keys(value)) {
    if (keep && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
    if (props && k in props) prune(value[k], props[k], false);
    else if (isObj(schema.additionalProperties)) prune(value[k], schema.additionalProperties, false);
    else if (schema.additionalProperties === true || schema['x-kubernetes-preserve-unknown-fields'] === true) continue;
    else delete value[k];
  }
}

/**
 * What makes a schema non-structural (apiextensions' ValidateStructural, the common part): every
 * field and list item has a type (unless int-or-string or preserve-unknown-fields), properties and
 * additionalProperties do not mix, an int-or-string has no type, an embedded resource is an object.
 */
export function structuralErrors(s: unknown, path: string, what = ''): StatusCause[] {
  const out: StatusCause[] = [];
  if (!isObj(s)) return out;
  const typeless = s.type === undefined || s.type === '';
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (typeless && what && !intOrString && s['x-kubernetes-preserve-unknown-fields'] !== true)
    out.push({ reason: 'FieldValueRequired', message: `Required value: must not be empty for specified ${what}`, field: `${path}.type` });
  if (intOrString && !typeless) out.push({ reason: 'FieldValueForbidden', message: 'Forbidden: must be empty if x-kubernetes-int-or-string is true', field: `${path}.type` });
  if (s['x-kubernetes-preserve-unknown-fields'] === false) out.push({ reason: 'FieldValueInvalid', message: 'Invalid value: false: must be true or undefined', field: `${path}.x-kubernetes-preserve-unknown-fields` });
  if (s['x-kubernetes-embedded-resource'] === true && s.type !== 'object') out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(s.type ?? '')}: must be object if x-kubernetes-embedded-resource is true`, field: `${path}.type` });
  if (isObj(s.properties) && s.additionalProperties !== undefined && s.additionalProperties !== false)
    out.push({ reason: 'FieldValueForbidden', message: 'Forbidden: additionalProperties and properties are mutual exclusive', field: `${path}.additionalProperties` });
  if (isObj(s.properties)) for (const [k, v] of Object.entries(s.properties)) out.push(...structuralErrors(v, `${path}.properties[${k}]`, 'object fields'));
  if (isObj(s.items)) out.push(...structuralErrors(s.items, `${path}.items`, 'array items'));
  if (isObj(s.additionalProperties)) out.push(...structuralErrors(s.additionalProperties, `${path}.additionalProperties`, 'object fields'));
  return out;
}

/** x-kubernetes-list-type set and map: items (set) and their keys (map) are unique, as kube's structural validation checks. */
export function listTypeErrors(s: unknown, v: unknown, path: string, out: StatusCause[] = []): StatusCause[] {
  if (!isObj(s) || v === undefined || v === null) return out;
  if (Array.isArray(v)) {
    const type = s['x-kubernetes-list-type'];
    const keys = Array.isArray(s['x-kubernetes-list-map-keys']) ? (s['x-kubernetes-list-map-keys'] as unknown[]).map(String) : [];
    if (type === 'set' || (type === 'map' && keys.length)) {
      const seen = new Set<string>();
      v.forEach((x, i) => {
        const id = type === 'set' ? JSON.stringify(x) : JSON.stringify(keys.map((k) => (isObj(x) ? x[k] : undefined)));
        if (seen.has(id)) out.push(cause.duplicate(`${path}[${i}]`, type === 'set' ? x : Object.fromEntries(keys.filter((k) => isObj(x) && x[k] !== undefined).map((k) => [k, (x as Obj)[k]]))));
        seen.add(id);
      });
    }
    v.forEach((x, i) => listTypeErrors(s.items, x, `${path}[${i}]`, out));
    return out;
  }
  if (!isObj(v)) return out;
  const props = isObj(s.properties) ? s.properties : undefined;
  for (const [k, x] of Object.entries(v)) {
    if (props && isObj(props[k])) listTypeErrors(props[k], x, path ? `${path}.${k}` : k, out);
    else if (isObj(s.additionalProperties)) listTypeErrors(s.additionalProperties, x, `${path}[${k}]`, out);
  }
  return out;
}
