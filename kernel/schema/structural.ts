// Structural (JSON type) checks through ajv, with ajv's errors turned into Kubernetes causes:
// `/spec/containers/0/image` becomes `spec.containers[0].image`, map keys become `data[key]`.
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { cause, fmtValue, isObj, type Obj, type StatusCause } from './causes.ts';
import { INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN } from './limits.ts';

type Schema = Obj;

const addFormats = ((formatsModule as unknown as { default?: unknown }).default ?? formatsModule) as (a: Ajv) => Ajv;

/** A new ajv as Skiff uses it: all errors, lenient about unknown keywords (x-kubernetes-*) and formats. */
export function newAjv(opts: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, logger: false, verbose: true, ...opts });
  addFormats(ajv);
  // OpenAPI formats Kubernetes knows; int32 and int64 are range-checked (2^31 replicas, 1e308
  // seconds are 422s, as Kubernetes refuses them), the others are checked by `type` or not at all.
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT64_MIN && n <= INT64_MAX });
  for (const f of ['float', 'double', 'byte', 'binary', 'password', 'quantity', 'int-or-string']) ajv.addFormat(f, true);
  return ajv;
}

const shared = newAjv();
const cache = new WeakMap<Schema, ValidateFunction>();

/** Compile (once per schema object) and run; returns Kubernetes-style causes. */
export function checkStructure(schema: Schema, data: unknown, opts: { prefix?: string; ajv?: Ajv } = {}): StatusCause[] {
  const ajv = opts.ajv ?? shared;
  let fn = ajv === shared ? cache.get(schema) : undefined;
  if (!fn) {
    fn = ajv.compile(schema);
    if (ajv === shared) cache.set(schema, fn);
  }
  return fn(data) ? [] : ajvErrorsToCauses(fn.errors ?? [], schema, data, opts.prefix);
}

function unescapeToken(t: string): string {
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Turn a JSON pointer into a Kubernetes field path, walking the schema to tell struct fields from map keys. */
export function pointerToField(pointer: string, schema: Schema | undefined, data: unknown): string {
  if (!pointer) return '';
  let path = '';
  let s: Schema | undefined = schema;
  let d: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const tok = unescapeToken(raw);
    if (Array.isArray(d)) {
      path += `[${tok}]`;
      s = s && isObj(s.items) ? s.items : undefined;
      d = d[Number(tok)];
      continue;
    }
    const props = s && isObj(s.properties) ? s.properties : undefined;
    if (props && isObj(props[tok])) {
      path = path ? `${path}.${tok}` : tok;
      s = props[tok] as Schema;
    } else if (s && isObj(s.additionalProperties)) {
      path += path ? `[${tok}]` : tok;
      s = s.additionalProperties;
    } else {
      path = path ? `${path}.${tok}` : tok;
      s = undefined;
    }
    d = isObj(d) ? d[tok] : undefined;
  }
  return path;
}

const jsonType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** Map ajv errors to causes; drops the noise ajv adds for anyOf/oneOf and type errors on null (null means unset). */
export function ajvErrorsToCauses(errors: ErrorObject[], schema: Schema, data: unknown, prefix = ''): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const rel = pointerToField(e.instancePath, schema, data);
    const field = !prefix ? rel : !rel ? prefix : rel.startsWith('[') ? prefix + rel : `${prefix}.${rel}`;
    const where = field || '<root>';
    const v = e.data;
    const p = e.params as Record<string, unknown>;
    let c: StatusCause | undefined;
    switch (e.keyword) {
      case 'type':
        if (v === null) break;
        c = cause.typeInvalid(field, v, `${where} in body must be of type ${String(p.type).replace(/,/g, ' or ')}: ${JSON.stringify(jsonType(v))}`);
        break;
      case 'required':
        c = cause.required(join(field, String(p.missingProperty)));
        break;
      case 'enum':
        c = cause.notSupported(field, v, (p.allowedValues as unknown[]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))));
        break;
      case 'const':
        c = cause.notSupported(field, v, [typeof p.allowedValue === 'string' ? p.allowedValue : JSON.stringify(p.allowedValue)]);
        break;
      case 'minimum':
      case 'exclusiveMinimum':
      case 'maximum':
      case 'exclusiveMaximum': {
        const rel = { minimum: 'greater than or equal to', exclusiveMinimum: 'greater than', maximum: 'less than or equal to', exclusiveMaximum: 'less than' }[e.keyword];
        c = cause.invalid(field, v, `${where} in body should be ${rel} ${String(p.limit)}`);
        break;
      }
      case 'maxLength':
        c = cause.tooLong(field, Number(p.limit));
        break;
      case 'minLength':
        c = cause.invalid(field, v, `${where} in body should be at least ${String(p.limit)} chars long`);
        break;
      case 'maxItems':
        c = cause.tooMany(field, Array.isArray(v) ? v.length : 0, Number(p.limit));
        break;
      case 'minItems':
        c = cause.invalid(field, v, `${where} in body should have at least ${String(p.limit)} items`);
        break;
      case 'maxProperties':
        c = cause.tooMany(field, isObj(v) ? Object.keys(v).length : 0, Number(p.limit));
        break;
      case 'minProperties':
        c = cause.invalid(field, v, `${where} in body should have at least ${String(p.limit)} properties`);
        break;
      case 'pattern':
        c = cause.invalid(field, v, `${where} in body should match '${String(p.pattern)}'`);
        break;
      case 'format':
        c = cause.invalid(field, v, `${where} in body must be of type ${String(p.format)}: ${fmtValue(v)}`);
        break;
      case 'uniqueItems':
        c = cause.duplicate(`${field}[${String(p.j)}]`, Array.isArray(v) ? v[Number(p.j)] : v);
        break;
      case 'additionalProperties':
        c = cause.invalid(join(field, String(p.additionalProperty)), undefined, 'field not declared in schema');
        break;
      case 'anyOf':
      case 'oneOf':
        break; // the branch errors say more
      default:
        c = cause.invalid(field, v, `${where} in body ${e.message ?? 'is invalid'}`);
    }
    if (!c) continue;
    const k = `${c.reason}|${c.field}|${c.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(c);
    }
  }
  return out;
}

// ---- a compact way to write the structural schemas of the built-in kinds ----
export const S = {
  str: { type: 'string' } as Schema,
  /** most integer fields of the Kubernetes API are int32 (replicas, ports, counts) */
  int: { type: 'integer', format: 'int32' } as Schema,
  /** int64 fields: generations, seconds that may be long (activeDeadlineSeconds, terminationGracePeriodSeconds) */
  int64: { type: 'integer', format: 'int64' } as Schema,
  num: { type: 'number' } as Schema,
  bool: { type: 'boolean' } as Schema,
  any: {} as Schema,
  /** int-or-string (ports, maxSurge) and quantities */
  intOrStr: { type: ['integer', 'string'], format: 'int32' } as Schema,
  quantity: { type: ['string', 'number'] } as Schema,
  obj: (properties: Record<string, Schema> = {}, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra }),
  arr: (items: Schema): Schema => ({ type: 'array', items }),
  map: (values: Schema): Schema => ({ type: 'object', additionalProperties: values }),
  strMap: { type: 'object', additionalProperties: { type: 'string' } } as Schema,
  strArr: { type: 'array', items: { type: 'string' } } as Schema,
};
