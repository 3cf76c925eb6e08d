import { describe, expect, it } from 'vitest';
import { isNotFound, statusErrorFrom, StatusError } from './status-error.ts';

describe('StatusError', () => {
  it('prefixes the Status message like kubectl', () => {
    const e = statusErrorFrom(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', code: 404 });
    expect(e.message).toBe('Error from server (NotFound): pods "x" not found');
    expect(e.code).toBe(404);
    expect(isNotFound(e)).toBe(true);
  });
  it('makes up a Status for bodies that are not one', () => {
    expect(statusErrorFrom(503, 'upstream down').message).toBe('Error from server (ServiceUnavailable): upstream down');
    expect(statusErrorFrom(599, '').message).toBe('Error from server: the server responded with status 599');
    expect(new StatusError({ kind: 'Status', message: 'm' }).message).toBe('Error from server: m');
  });
});
