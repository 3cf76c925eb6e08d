// Who is asking: bearer tokens checked in constant time, as kube-apiserver's static token file.
// Every front end (REST, gRPC) authenticates through this, so a token means the same user on each.
import { timingSafeEqual } from 'node:crypto';
import { errors } from '@skiff/kernel';

/** kube's user.Info: what authorization decides on. */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: readonly string[];
}

/** A token and the user it stands for. */
export interface TokenUser {
  token: string;
  user: UserInfo;
}

/** What a bare admin token (the one in $SKIFF_HOME/token) authenticates as: kube's cluster-admin group. */
export const ADMIN_USER: UserInfo = Object.freeze({ name: 'skiff-admin', groups: Object.freeze(['system:masters', 'system:authenticated']) });

/** Who a server without tokens (tests only) takes every request to be from. */
export const ANONYMOUS_USER: UserInfo = Object.freeze({ name: 'system:anonymous', groups: Object.freeze(['system:unauthenticated']) });

export interface Authenticator {
  /** true when requests are checked at all (a server given no tokens lets everybody in) */
  readonly enabled: boolean;
  /**
   * The user a bearer token stands for, or undefined when it stands for nobody. Without any
   * tokens configured, everybody (with or without a token) is ANONYMOUS_USER.
   */
  authenticate(bearer: string | undefined): UserInfo | undefined;
}

/** The token of an `Authorization: Bearer <token>` header value (HTTP header or gRPC metadata). */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S.*)$/i.exec(header.trim());
  return m ? m[1]!.trim() : undefined;
}

/**
 * An authenticator over fixed tokens. A plain string is an admin token (ADMIN_USER). Every
 * configured token is compared with every request's, in time that does not depend on where they
 * differ (timingSafeEqual); lengths differing is the one thing a timing can tell.
 */
export function tokenAuthenticator(tokens: readonly (string | TokenUser)[] | undefined): Authenticator {
  const entries = (tokens ?? []).filter((t) => (typeof t === 'string' ? t : t.token) !== '').map((t) => {
    const tu = typeof t === 'string' ? { token: t, user: ADMIN_USER } : t;
    return { bytes: Buffer.from(tu.token), user: tu.user };
  });
  if (entries.length === 0) return { enabled: false, authenticate: () => ANONYMOUS_USER };
  return {
    enabled: true,
    authenticate(bearer) {
      if (bearer === undefined || bearer === '') return undefined;
      const b = Buffer.from(bearer);
      let found: UserInfo | undefined;
      // no early exit: every token is compared, whichever matches
      for (const e of entries) if (e.bytes.length === b.length && timingSafeEqual(e.bytes, b) && !found) found = e.user;
      return found;
    },
  };
}

/** The user of a bearer token, or a 401 Unauthorized StatusError. */
export function authenticateOrThrow(authn: Authenticator, bearer: string | undefined): UserInfo {
  const user = authn.authenticate(bearer);
  if (!user) throw errors.unauthorized();
  return user;
}
