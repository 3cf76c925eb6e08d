// Predicates on thrown errors, as apimachinery's k8s.io/apimachinery/pkg/api/errors has them. They read
// `reason` and `code` from a kernel StatusError, from anything carrying a `status: Status`, or from a
// plain `{ code, reason }`: they never need the kernel's error class.

/** The reasons Kubernetes defines (metav1.StatusReason). */
const KNOWN_REASONS = new Set([
  'Unauthorized', 'Forbidden', 'NotFound', 'AlreadyExists', 'Conflict', 'Gone', 'Invalid', 'ServerTimeout',
  'StoreReadError', 'Timeout', 'TooManyRequests', 'BadRequest', 'MethodNotAllowed', 'NotAcceptable',
  'RequestEntityTooLarge', 'UnsupportedMediaType', 'InternalError', 'Expired', 'ServiceUnavailable',
]);

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;

/** The status reason of an error ("" when it carries none). */
export function reasonForError(err: unknown): string {
  const e = obj(err);
  const s = obj(e?.status);
  const r = s?.reason ?? e?.reason;
  return typeof r === 'string' ? r : '';
}

/** The HTTP code of an error (0 when it carries none; Node's string codes like 'ECONNREFUSED' are not codes). */
export function codeForError(err: unknown): number {
  const e = obj(err);
  const s = obj(e?.status);
  const c = s?.code ?? e?.code ?? e?.statusCode;
  return typeof c === 'number' ? c : 0;
}

/** The server's suggested delay (details.retryAfterSeconds), if any. */
export function suggestsClientDelay(err: unknown): number | undefined {
  const details = obj(obj(obj(err)?.status)?.details) ?? obj(obj(err)?.details);
  const s = details?.retryAfterSeconds;
  return typeof s === 'number' && s > 0 ? s : undefined;
}

/** True for `reason`, or for `code` when the error's reason is none Kubernetes knows (as apimachinery does). */
function is(err: unknown, reason: string, code?: number): boolean {
  const r = reasonForError(err);
  if (r === reason) return true;
  return code !== undefined && !KNOWN_REASONS.has(r) && codeForError(err) === code;
}

export const isNotFound = (err: unknown): boolean => is(err, 'NotFound', 404);
/** 409 AlreadyExists (a 409 without the reason is a conflict, not this). */
export const isAlreadyExists = (err: unknown): boolean => is(err, 'AlreadyExists');
export const isConflict = (err: unknown): boolean => is(err, 'Conflict', 409);
export const isInvalid = (err: unknown): boolean => is(err, 'Invalid', 422);
export const isBadRequest = (err: unknown): boolean => is(err, 'BadRequest', 400);
export const isUnauthorized = (err: unknown): boolean => is(err, 'Unauthorized', 401);
export const isForbidden = (err: unknown): boolean => is(err, 'Forbidden', 403);
export const isMethodNotSupported = (err: unknown): boolean => is(err, 'MethodNotAllowed', 405);
export const isTooManyRequests = (err: unknown): boolean => is(err, 'TooManyRequests', 429);
/** 504 Timeout: the request could not complete in time (may be retried). */
export const isTimeout = (err: unknown): boolean => is(err, 'Timeout', 504);
/** ServerTimeout (500): the server could not do the operation in time. */
export const isServerTimeout = (err: unknown): boolean => is(err, 'ServerTimeout');
export const isInternalError = (err: unknown): boolean => is(err, 'InternalError', 500);
export const isServiceUnavailable = (err: unknown): boolean => is(err, 'ServiceUnavailable', 503);
/** 410 Expired: the resourceVersion asked for is below the compaction floor (watch and list answer this). */
export const isResourceExpired = (err: unknown): boolean => is(err, 'Expired');
/**
 * Any 410: reason Gone or Expired. (apimachinery's IsGone only accepts reason Gone; here a 410 of either
 * reason means "relist from scratch", which is what callers ask.)
 */
export const isGone = (err: unknown): boolean => is(err, 'Gone', 410) || isResourceExpired(err);
