import { describe, expect, it } from 'vitest';
import { ADMIN_USER, ANONYMOUS_USER, authenticateOrThrow, bearerToken, tokenAuthenticator } from './authentication.ts';

describe('bearer token authentication', () => {
  it('reads the token of an Authorization value', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('  bearer   abc  ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken(['Bearer x'])).toBeUndefined();
  });

  it('maps admin tokens to the admin user and other tokens to their users; anything else is nobody', () => {
    const bob = { name: 'bob', groups: ['dev'] };
    const a = tokenAuthenticator(['admin-token', { token: 'bob-token', user: bob }]);
    expect(a.enabled).toBe(true);
    expect(a.authenticate('admin-token')).toBe(ADMIN_USER);
    expect(a.authenticate('bob-token')).toBe(bob);
    expect(a.authenticate('admin-tokem')).toBeUndefined();
    expect(a.authenticate('admin-token2')).toBeUndefined();
    expect(a.authenticate('')).toBeUndefined();
    expect(a.authenticate(undefined)).toBeUndefined();
    expect(() => authenticateOrThrow(a, 'nope')).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 401, reason: 'Unauthorized' }) }));
  });

  it('lets everybody in as anonymous when no token is configured (tests only)', () => {
    for (const a of [tokenAuthenticator(undefined), tokenAuthenticator([]), tokenAuthenticator([''])]) {
      expect(a.enabled).toBe(false);
      expect(a.authenticate(undefined)).toBe(ANONYMOUS_USER);
      expect(a.authenticate('whatever')).toBe(ANONYMOUS_USER);
    }
  });
});
