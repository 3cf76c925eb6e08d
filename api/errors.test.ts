import { describe, expect, test } from 'vitest';
import {
  codeForError,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isResourceExpired,
  isServerTimeout,
  isTimeout,
  isTooManyRequests,
  reasonForError,
  suggestsClientDelay,
} from './errors.ts';

// The shapes errors arrive in: a kernel StatusError (code/reason getters over .status), a bare Status-carrier, a plain object.
class FakeStatusError extends Error {
  constructor(readonly status: { code: number; reason: string; details?: { retryAfterSeconds?: number } }) {
    super('x');
  }
  get code() {
    return this.status.code;
  }
}
const st = (code: number, reason: string) => new FakeStatusError({ code, reason });

describe('error predicates', () => {
  test('read reason and code from any shape', () => {
    expect(reasonForError(st(404, 'NotFound'))).toBe('NotFound');
    expect(codeForError({ status: { code: 409, reason: 'Conflict' } })).toBe(409);
    expect(codeForError({ code: 'ECONNREFUSED' })).toBe(0);
    expect(codeForError({ statusCode: 503 })).toBe(503);
    expect(reasonForError(new Error('plain'))).toBe('');
    expect(reasonForError(undefined)).toBe('');
  });
  test('404 and 409s', () => {
    expect(isNotFound(st(404, 'NotFound'))).toBe(true);
    expect(isNotFound({ code: 404 })).toBe(true); // unknown reason: the code decides
    expect(isNotFound(st(409, 'Conflict'))).toBe(false);
    expect(isAlreadyExists(st(409, 'AlreadyExists'))).toBe(true);
    expect(isAlreadyExists(st(409, 'Conflict'))).toBe(false);
    expect(isAlreadyExists({ code: 409 })).toBe(false);
    expect(isConflict(st(409, 'Conflict'))).toBe(true);
    expect(isConflict(st(409, 'AlreadyExists'))).toBe(false);
    expect(isConflict({ code: 409 })).toBe(true);
  });
  test('410: Gone and Expired', () => {
    expect(isGone(st(410, 'Expired'))).toBe(true);
    expect(isGone(st(410, 'Gone'))).toBe(true);
    expect(isGone({ code: 410 })).toBe(true);
    expect(isResourceExpired(st(410, 'Expired'))).toBe(true);
    expect(isResourceExpired(st(410, 'Gone'))).toBe(false);
    expect(isGone(st(404, 'NotFound'))).toBe(false);
  });
  test('422, 403, 429, timeouts', () => {
    expect(isInvalid(st(422, 'Invalid'))).toBe(true);
    expect(isInvalid(st(400, 'BadRequest'))).toBe(false);
    expect(isForbidden(st(403, 'Forbidden'))).toBe(true);
    expect(isTooManyRequests(st(429, 'TooManyRequests'))).toBe(true);
    expect(isTimeout(st(504, 'Timeout'))).toBe(true);
    expect(isTimeout(st(500, 'ServerTimeout'))).toBe(false);
    expect(isServerTimeout(st(500, 'ServerTimeout'))).toBe(true);
    expect(isServerTimeout(st(500, 'InternalError'))).toBe(false);
  });
  test('retry-after', () => {
    expect(suggestsClientDelay(new FakeStatusError({ code: 429, reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } }))).toBe(3);
    expect(suggestsClientDelay(st(429, 'TooManyRequests'))).toBeUndefined();
  });
});
