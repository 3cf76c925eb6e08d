// The integer query parameters of Kubernetes requests, checked at the door: all are int64 in
// Kubernetes and none may be negative here (a watch with timeoutSeconds=-5 never ended). A value
// that is not an integer, is negative or does not fit an int64 is a 400 BadRequest.
import { errors } from '@skiff/kernel';

const NON_NEGATIVE_INT64 = ['timeoutSeconds', 'limit', 'gracePeriodSeconds'] as const;
const INT64_MAX_EXACT = 9223372036854775807n;
/** resourceVersion is a uint64 in Kubernetes; Skiff's revisions are exact JavaScript integers */
const MAX_RESOURCE_VERSION = Number.MAX_SAFE_INTEGER;

export function checkQueryParams(query: unknown): void {
  if (query === null || typeof query !== 'object') return;
  const q = query as Record<string, unknown>;
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
  }
}

const short = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}...` : s);
