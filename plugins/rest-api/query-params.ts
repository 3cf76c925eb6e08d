// The integer query parameters of Kubernetes requests, checked at the door: all are int64 in
// Kubernetes and none may be negative here (a watch with timeoutSeconds=-5 never ended). A value
// that is not an integer, is negative or does not fit an int64 is a 400 BadRequest.
import { errors, type StatusCause } from '@skiff/kernel';

const NON_NEGATIVE_INT64 = ['timeoutSeconds', 'limit', 'gracePeriodSeconds'] as const;
const INT64_MAX_EXACT = 9223372036854775807n;
/** resourceVersion is a uint64 in Kubernetes; Skiff's revisions are exact JavaScript integers */
const MAX_RESOURCE_VERSION = Number.MAX_SAFE_INTEGER;

export function checkQueryParams(query: unknown, method = 'GET'): void {
  if (query === null || typeof query !== 'object') return;
  const q = query as Record<string, unknown>;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') checkWriteOptions(q, method);
  for (const name of NON_NEGATIVE_INT64) {
    const v = q[name];
    if (v === undefined || v === '') continue;
    // a repeated parameter arrives as an array: Kubernetes takes the first
    const s = Array.isArray(v) ? String(v[0]) : String(v);
    if (!/^[-+]?\d+$/.test(s)) throw errors.badRequest(`invalid value for ${name}: "${short(s)}" is not an integer`);
    const n = BigInt(s.replace(/^\+/, ''));
    if (n < 0n) throw errors.badRequest(`invalid value for ${name}: ${short(s)} must be greater than or equal to 0`);
    if (n > INT64_MAX_EXACT) throw errors.badRequest(`invalid value for ${name}: ${short(s)} does not fit a 64-bit integer`);
  }
  for (const name of ['resourceVersion'] as const) {
    const v = q[name];
    if (typeof v !== 'string' || v === '') continue;
    if (/^\d+$/.test(v) && Number(v) > MAX_RESOURCE_VERSION) throw errors.badRequest(`invalid resourceVersion "${short(v)}": larger than any revision (${MAX_RESOURCE_VERSION})`);
    // a read at a resourceVersion that is not a number (kube parses it before any read: 400)
    if (method === 'GET' && !/^\d+$/.test(v)) throw errors.badRequest(`invalid resourceVersion "${short(v)}": must be a non-negative integer`);
  }
}

/** kube's FieldManagerMaxLength */
export const FIELD_MANAGER_MAX_LENGTH = 128;

const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);

/** kube's fieldValidation values ("" is the server's default) */
const FIELD_VALIDATION = ['', 'Ignore', 'Strict', 'Warn'];

/**
 * kube's ValidateFieldManager and ValidateFieldValidation on the Create/Update/PatchOptions of a
 * write: a fieldManager of at most 128 bytes, only printable characters; a fieldValidation of
 * Ignore, Warn or Strict. A 422 on the options kind, as kube-apiserver answers.
 */
function checkWriteOptions(q: Record<string, unknown>, method: string): void {
  const causes: StatusCause[] = [];
  const fv = first(q.fieldValidation);
  if (typeof fv === 'string' && !FIELD_VALIDATION.includes(fv)) {
    causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(short(fv))}: supported values: ${FIELD_VALIDATION.map((v) => JSON.stringify(v)).join(', ')}`, field: 'fieldValidation' });
  }
  const fm = first(q.fieldManager);
  if (typeof fm === 'string') checkFieldManager(fm, causes);
  if (causes.length) throw errors.invalid({ group: 'meta.k8s.io', resource: '', kind: OPTIONS_KIND[method]! }, '', causes);
}

function checkFieldManager(fm: string, causes: StatusCause[]): void {
  if (Buffer.byteLength(fm) > FIELD_MANAGER_MAX_LENGTH) causes.push({ reason: 'FieldValueTooLong', message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes`, field: 'fieldManager' });
  let i = 0;
  for (const ch of fm) {
    if (!PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(short(fm))}: invalid character U+${cp} (at position ${i})`, field: 'fieldManager' });
      break;
    }
    i += Buffer.byteLength(ch);
  }
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const OPTIONS_KIND: Record<string, string> = { POST: 'CreateOptions', PUT: 'UpdateOptions', PATCH: 'PatchOptions' };

/**
 * kube's ValidateListOptions for a LIST or WATCH of a collection: resourceVersionMatch and
 * sendInitialEvents (a 422 on ListOptions). Skiff serves the WatchList protocol (sendInitialEvents
 * with resourceVersionMatch=NotOlderThan).
 */
export function checkListOptions(query: unknown): void {
  if (query === null || typeof query !== 'object') return;
  const q = query as Record<string, unknown>;
  const str = (name: string) => {
    const v = first(q[name]);
    return typeof v === 'string' ? v : '';
  };
  const watch = str('watch') === 'true' || str('watch') === '1';
  const match = str('resourceVersionMatch');
  const sendInitialEvents = q.sendInitialEvents !== undefined;
  const causes: StatusCause[] = [];
  const forbidden = (field: string, why: string) => causes.push({ reason: 'FieldValueForbidden', message: `Forbidden: ${why}`, field });
  const notSupported = (supported: string[]) =>
    causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(short(match))}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`, field: 'resourceVersionMatch' });
  if (watch) {
    if (sendInitialEvents && match !== 'NotOlderThan') forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (match !== '') {
      if (!sendInitialEvents) forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
      if (match !== 'NotOlderThan') notSupported(['NotOlderThan']);
      if (str('continue') !== '') forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
    }
  } else {
    if (match !== '') {
      if (str('resourceVersion') === '') forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (str('continue') !== '') forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided');
      if (match !== 'Exact' && match !== 'NotOlderThan') notSupported(['Exact', 'NotOlderThan', '']);
      if (match === 'Exact' && str('resourceVersion') === '0') forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
    if (sendInitialEvents) forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list');
  }
  if (causes.length) throw errors.invalid({ group: 'meta.k8s.io', resource: '', kind: 'ListOptions' }, '', causes);
}

const short = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}...` : s);
