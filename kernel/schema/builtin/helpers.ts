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

/** Structural check of the whole object against `{spec, status, ...}` schemas. */
export function structure(obj: Obj, props: Record<string, Obj>): StatusCause[] {
  return checkStructure({ type: 'object', properties: props }, obj);
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
