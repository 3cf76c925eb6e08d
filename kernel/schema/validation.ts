// Reusable checks, worded as Kubernetes' apimachinery validation words them. `is*` functions return
// messages (empty = valid); `validate*` functions return StatusCauses for a field.
import { PROTOCOLS, QUANTITY_ERROR, isLabelValue, isQualifiedName, isValidPortNum, tryParseQuantity } from '@skiff/api';
import { cause, child, isObj, key, type StatusCause } from './causes.ts';

export * from './causes.ts';
// The predicates live in @skiff/api; re-exported so schema code has one place to import checks from.
export {
  regexError,
  isDNS1123Label,
  isDNS1123Subdomain,
  isDNS1035Label,
  nameIsDNSSubdomain,
  nameIsDNSLabel,
  nameIsDNS1035Label,
  nameIsPathSegment,
  isQualifiedName,
  isLabelValue,
  isConfigMapKey,
  isEnvVarName,
  isIanaSvcName,
  isValidPortNum,
  isValidIP,
  isValidCIDR,
  isValidPercent,
  PROTOCOLS,
  type NameCheck,
  parseQuantity,
  tryParseQuantity,
  parseMilliQuantity,
} from '@skiff/api';

// ---- field-level validators (return causes) ----

/** Run a string check; a non-string or empty value yields the cause from `required` when asked. */
export function validateString(value: unknown, field: string, check: (s: string) => string[], opts: { required?: boolean } = {}): StatusCause[] {
  if (value === undefined || value === null || value === '') return opts.required ? [cause.required(field)] : [];
  if (typeof value !== 'string') return [cause.typeInvalid(field, value, 'must be a string')];
  return check(value).map((m) => cause.invalid(field, value, m));
}

export function validateEnum(value: unknown, field: string, allowed: readonly string[], opts: { required?: boolean } = {}): StatusCause[] {
  if (value === undefined || value === null || value === '') return opts.required ? [cause.required(field)] : [];
  return allowed.includes(value as string) ? [] : [cause.notSupported(field, value, allowed)];
}

export function validatePortNumber(value: unknown, field: string, opts: { required?: boolean } = {}): StatusCause[] {
  if (value === undefined || value === null || value === 0) return opts.required ? [cause.required(field)] : [];
  if (typeof value !== 'number') return [cause.typeInvalid(field, value, 'must be an integer')];
  return isValidPortNum(value).map((m) => cause.invalid(field, value, m));
}

export const validateProtocol = (value: unknown, field: string): StatusCause[] => validateEnum(value, field, PROTOCOLS);

/** An optional integer field with bounds (min/max inclusive). */
export function validateInt(value: unknown, field: string, opts: { min?: number; max?: number; minMsg?: string } = {}): StatusCause[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return [cause.typeInvalid(field, value, 'must be an integer')];
  if (opts.min !== undefined && value < opts.min)
    return [cause.invalid(field, value, opts.minMsg ?? (opts.min === 0 ? 'must be greater than or equal to 0' : `must be greater than or equal to ${opts.min}`))];
  if (opts.max !== undefined && value > opts.max) return [cause.invalid(field, value, `must be less than or equal to ${opts.max}`)];
  return [];
}

/** Label maps: keys are qualified names, values label values; errors name the map, as Kubernetes does. */
export function validateLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isObj(labels)) return [cause.typeInvalid(field, labels, 'must be an object of string values')];
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    out.push(...isQualifiedName(k).map((m) => cause.invalid(field, k, m)));
    if (typeof v !== 'string') out.push(cause.typeInvalid(key(field, k), v, 'must be a string'));
    else out.push(...isLabelValue(v).map((m) => cause.invalid(field, v, m)));
  }
  return out;
}

export const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export function validateAnnotations(annotations: unknown, field: string): StatusCause[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isObj(annotations)) return [cause.typeInvalid(field, annotations, 'must be an object of string values')];
  const out: StatusCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    out.push(...isQualifiedName(k.toLowerCase()).map((m) => cause.invalid(field, k, m)));
    if (typeof v !== 'string') out.push(cause.typeInvalid(key(field, k), v, 'must be a string'));
    else size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE) out.push(cause.tooLong(field, TOTAL_ANNOTATION_SIZE));
  return out;
}

/** One resource quantity (string or number), non-negative. */
export function validateQuantity(value: unknown, field: string): StatusCause[] {
  if (typeof value !== 'string' && typeof value !== 'number') return [cause.typeInvalid(field, value, 'must be a quantity (string or number)')];
  const q = tryParseQuantity(value);
  if (q === undefined) return [cause.invalid(field, value, QUANTITY_ERROR)];
  if (q < 0) return [cause.invalid(field, value, 'must be greater than or equal to 0')];
  return [];
}

/** A resource list (`requests`, `limits`, `capacity`): resource names are qualified names, values quantities. */
export function validateResourceList(list: unknown, field: string): StatusCause[] {
  if (list === undefined || list === null) return [];
  if (!isObj(list)) return [cause.typeInvalid(field, list, 'must be an object of quantities')];
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(list)) {
    out.push(...isQualifiedName(k).map((m) => cause.invalid(key(field, k), k, m)));
    out.push(...validateQuantity(v, key(field, k)));
  }
  return out;
}

/** Names in a list must be unique: returns causes for the later duplicates at `<list>[i].<prop>`. */
export function validateUniqueNames(items: unknown[], listField: string, prop = 'name', seen = new Set<string>()): StatusCause[] {
  const out: StatusCause[] = [];
  items.forEach((it, i) => {
    const n = isObj(it) ? it[prop] : undefined;
    if (typeof n !== 'string' || n === '') return;
    if (seen.has(n)) out.push(cause.duplicate(child(listField, i, prop), n));
    seen.add(n);
  });
  return out;
}
