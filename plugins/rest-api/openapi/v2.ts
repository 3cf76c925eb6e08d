// OpenAPI v2 (Swagger 2.0) from the v3 model: references under #/definitions, a named type's field
// as {$ref, description}, no oneOf (int-or-string and quantity are strings with a format), request
// bodies as `in: body` parameters. kubectl 1.20 reads it (as protobuf: v2-proto.ts) for explain and
// for client-side validation, which refuses fields an object with properties does not list: an object
// that keeps unknown fields is published without its properties, as kube-apiserver does for CRDs.
import { INT_OR_STRING, QUANTITY, type Schema } from './common.ts';

const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const V3_REF = '#/components/schemas/';

const V2_OVERRIDES: Record<string, Schema> = {
  [INT_OR_STRING]: { type: 'string', format: 'int-or-string' },
  [QUANTITY]: { type: 'string' },
};

/** One v3 schema in v2 form. */
export function schemaToV2(s: Schema): Schema {
  if (typeof s.$ref === 'string') return { $ref: `#/definitions/${s.$ref.slice(V3_REF.length)}` };
  const out: Schema = {};
  // a named type's field: {description, allOf: [{$ref}]} -> {description, $ref}
  if (Array.isArray(s.allOf) && s.allOf.length === 1 && isObj(s.allOf[0]) && typeof s.allOf[0].$ref === 'string' && !s.properties) {
    const r = schemaToV2(s.allOf[0]);
    return typeof s.description === 'string' ? { ...r, description: s.description } : r;
  }
  const open = s['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [k, v] of Object.entries(s)) {
    if (k === 'oneOf' || k === 'anyOf' || k === 'not' || k === 'nullable') continue;
    if (k === 'allOf') out.allOf = (v as Schema[]).filter(isObj).map(schemaToV2);
    else if (k === 'properties' && isObj(v)) {
      if (!open) out.properties = Object.fromEntries(Object.entries(v).filter(([, p]) => isObj(p)).map(([n, p]) => [n, schemaToV2(p as Schema)]));
    } else if (k === 'required') {
      if (!open) out.required = v;
    } else if ((k === 'items' || k === 'additionalProperties') && isObj(v)) out[k] = schemaToV2(v);
    else out[k] = v;
  }
  // a value of any JSON type has no `type` in v2 (kubectl treats it as arbitrary)
  return out;
}

function parameterToV2(p: Schema): Schema {
  const { schema, ...rest } = p;
  return { ...rest, ...(isObj(schema) ? schema : {}) };
}

/** One v3 path item in v2 form. */
function pathToV2(item: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(item)) {
    if (k === 'parameters' && Array.isArray(v)) out.parameters = v.map((p) => parameterToV2(p as Schema));
    else if (isObj(v)) out[k] = operationToV2(v);
  }
  return out;
}

function operationToV2(op: Schema): Schema {
  const { requestBody, responses, parameters, ...rest } = op;
  const out: Schema = { ...rest };
  const params = Array.isArray(parameters) ? parameters.map((p) => parameterToV2(p as Schema)) : [];
  if (isObj(requestBody) && isObj(requestBody.content)) {
    const types = Object.keys(requestBody.content);
    const first = requestBody.content[types[0]!] as Schema;
    params.unshift({ name: 'body', in: 'body', required: requestBody.required === true, schema: schemaToV2(first.schema as Schema) });
    out.consumes = types;
  }
  if (params.length) out.parameters = params;
  const produces = new Set<string>();
  if (isObj(responses)) {
    out.responses = Object.fromEntries(
      Object.entries(responses).map(([code, r]) => {
        const res = r as Schema;
        if (!isObj(res.content)) return [code, { description: res.description }];
        const types = Object.keys(res.content);
        types.forEach((t) => produces.add(t));
        return [code, { description: res.description, schema: schemaToV2((res.content[types[0]!] as Schema).schema as Schema) }];
      }),
    );
  }
  if (produces.size) out.produces = [...produces];
  out.schemes = ['https'];
  return out;
}

/** The whole v2 document. */
export function documentV2(version: string, definitions: Record<string, Schema>, paths: Record<string, Schema>): Schema {
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version },
    paths: Object.fromEntries(Object.entries(paths).map(([p, item]) => [p, pathToV2(item)])),
    definitions: Object.fromEntries(Object.entries(definitions).map(([n, d]) => [n, V2_OVERRIDES[n] ? { ...schemaToV2(d), ...V2_OVERRIDES[n] } : schemaToV2(d)])),
  };
}
