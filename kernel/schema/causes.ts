// Building StatusCauses the way Kubernetes' field.Error does: the reason names the kind of failure,
// the message reads like `Invalid value: "x": detail`, the field is a path like spec.containers[0].image.
import type { StatusCause } from '../status.ts';

export type { StatusCause };

/** Kubernetes' field.ErrorType reasons. */
export const Reason = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  Forbidden: 'FieldValueForbidden',
  TypeInvalid: 'FieldValueTypeInvalid',
  NotFound: 'FieldValueNotFound',
} as const;

/** Append path segments: strings become `.name` (or the root name), numbers `[i]`. */
export function child(path: string, ...segs: (string | number)[]): string {
  let p = path;
  for (const s of segs) {
    if (typeof s === 'number') p += `[${s}]`;
    else p = p ? `${p}.${s}` : s;
  }
  return p;
}

/** A map key: `data[my-key]`. */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** How Kubernetes prints a value in a message (Go's %q for strings, %v for the rest, roughly). */
export function fmtValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'null';
  try {
    const s = JSON.stringify(v);
    return s.length > 256 ? s.slice(0, 253) + '...' : s;
  } catch {
    return String(v);
  }
}

const withDetail = (head: string, detail?: string) => (detail ? `${head}: ${detail}` : head);

export const cause = {
  required: (field: string, detail?: string): StatusCause => ({
    reason: Reason.Required,
    message: withDetail('Required value', detail),
    field,
  }),
  invalid: (field: string, value: unknown, detail?: string): StatusCause => ({
    reason: Reason.Invalid,
    message: withDetail(`Invalid value: ${fmtValue(value)}`, detail),
    field,
  }),
  notSupported: (field: string, value: unknown, supported: readonly string[]): StatusCause => ({
    reason: Reason.NotSupported,
    message:
      `Unsupported value: ${fmtValue(value)}` +
      (supported.length ? `: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : ''),
    field,
  }),
  duplicate: (field: string, value: unknown): StatusCause => ({
    reason: Reason.Duplicate,
    message: `Duplicate value: ${fmtValue(value)}`,
    field,
  }),
  tooLong: (field: string, max: number): StatusCause => ({
    reason: Reason.TooLong,
    message: `Too long: may not be more than ${max} bytes`,
    field,
  }),
  tooMany: (field: string, actual: number, max: number): StatusCause => ({
    reason: Reason.TooMany,
    message: `Too many: ${actual}: must have at most ${max} items`,
    field,
  }),
  forbidden: (field: string, detail: string): StatusCause => ({
    reason: Reason.Forbidden,
    message: withDetail('Forbidden', detail),
    field,
  }),
  typeInvalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: Reason.TypeInvalid,
    message: withDetail(`Invalid value: ${fmtValue(value)}`, detail),
    field,
  }),
  notFound: (field: string, value: unknown): StatusCause => ({
    reason: Reason.NotFound,
    message: `Not found: ${fmtValue(value)}`,
    field,
  }),
  immutable: (field: string, value: unknown): StatusCause => ({
    reason: Reason.Invalid,
    message: `Invalid value: ${fmtValue(value)}: field is immutable`,
    field,
  }),
};

// Safe accessors: user input may have any JSON type anywhere.
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asObj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
export const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const asStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const asNum = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** Unset as Kubernetes sees it: absent, null or the zero string. */
export const isUnset = (v: unknown): boolean => v === undefined || v === null || v === '';
/** Object entries of a map whose values are strings (others skipped: the structural check reports them). */
export const strEntries = (v: unknown): [string, string][] =>
  isObj(v) ? (Object.entries(v).filter(([, x]) => typeof x === 'string') as [string, string][]) : [];

/** Get (creating objects along the way) an object-valued child, or undefined when a non-object is in the way. */
export function ensureObj(parent: Obj, name: string): Obj | undefined {
  const v = parent[name];
  if (v === undefined || v === null) {
    const o: Obj = {};
    parent[name] = o;
    return o;
  }
  return isObj(v) ? v : undefined;
}

/** Set parent[name] = value when unset (undefined or null). */
export function setDefault(parent: Obj, name: string, value: unknown): void {
  if (parent[name] === undefined || parent[name] === null) parent[name] = value;
}

/**
 * setDefault for a plain string field of a kube type, where "" is unset too: Go's zero value, and
 * kube's defaulting checks `== ""` (a Service's sessionAffinity "" is stored as "None"). Not for
 * pointer fields (*string: completionMode, internalTrafficPolicy, volumeMode...), where "" is a
 * value that validation refuses.
 */
export function setStringDefault(parent: Obj, name: string, value: string): void {
  if (parent[name] === undefined || parent[name] === null || parent[name] === '') parent[name] = value;
}

/** Deep equality of JSON values (key order ignored). */
export { jsonEqual as deepEqual } from '../json.ts';

/** Drop repeated causes, and more than one FieldValueTypeInvalid for the same field (structural and semantic checks overlap). */
export function dedupeCauses(causes: StatusCause[]): StatusCause[] {
  const seen = new Set<string>();
  const typed = new Set<string>();
  return causes.filter((c) => {
    const k = `${c.reason}|${c.field}|${c.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    if (c.reason === Reason.TypeInvalid) {
      if (typed.has(c.field ?? '')) return false;
      typed.add(c.field ?? '');
    }
    return true;
  });
}
