// Small helpers shared by the built-in kind definitions.
import type { KObject } from '../../types.ts';
import { cause, dedupeCauses, deepEqual, isObj, type Obj, type StatusCause } from '../causes.ts';
import { checkStructure } from '../structural.ts';

/** Wrap a validator: never throws (an unexpected exception becomes a cause), and causes are de-duplicated. */
export function safeValidate(fn: (obj: Obj, old?: Obj) => StatusCause[]): (obj: KObject, old?: KObject) => StatusCause[] {
  return (obj, old) => {
    if (!isObj(obj)) return [cause.typeInvalid('', obj, 'must be an object')];
    try {
      return dedupeCauses(fn(obj, isObj(old) ? old : undefined));
    } catch (e) {
      return [cause.invalid('', '', `could not validate: ${e instanceof Error ? e.message : String(e)}`)];
    }
  };
}

/** Wrap a defaulter: garbage input is left for validation to report. */
export function safeDefault(fn: (obj: Obj) => void): (obj: KObject) => void {
  return (obj) => {
    if (!isObj(obj)) return;
    try {
      fn(obj);
    } catch {
      /* validation reports what is wrong */
    }
  };
}

// Callers pass `{field: schema}` literals, some built per call: identify each value schema by its
// JSON (memoized per object), so ajv compiles each distinct schema once and the cache is bounded by
// the number of distinct schemas, not the number of writes.
const schemaIds = new WeakMap<Obj, number>();
const idsByJson = new Map<string, number>();
const wrapped = new Map<string, Obj>();
const idOf = (o: Obj) => {
  let id = schemaIds.get(o);
  if (id === undefined) {
    const json = JSON.stringify(o);
    id = idsByJson.get(json);
    if (id === undefined) idsByJson.set(json, (id = idsByJson.size));
    schemaIds.set(o, id);
  }
  return id;
};

/** A kind's schema from its top-level fields (KindDefinition.schema); `structure` checks objects against the same fields. */
export function objectSchema(props: Record<string, Obj>): Obj {
  return { type: 'object', properties: props };
}

/** Structural check of the whole object against `{spec, status, ...}` schemas (compiled once). */
export function structure(obj: Obj, props: Record<string, Obj>): StatusCause[] {
  const key = Object.entries(props).map(([k, v]) => `${k}:${idOf(v)}`).join(',');
  let schema = wrapped.get(key);
  if (!schema) wrapped.set(key, (schema = { type: 'object', properties: props }));
  return checkStructure(schema, obj);
}

/** `field: Invalid value: ...: field is immutable` when the value changed. */
export function immutable(newV: unknown, oldV: unknown, field: string): StatusCause[] {
  return deepEqual(newV ?? null, oldV ?? null) ? [] : [cause.immutable(field, newV)];
}

/** A string field for a field selector; absent fields select as "". */
export const sel =
  (...path: string[]) =>
  (obj: KObject): string | undefined => {
    let v: unknown = obj;
    for (const p of path) v = isObj(v) ? v[p] : undefined;
    return v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v);
  };
