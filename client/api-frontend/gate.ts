// The door every API request goes through, whatever the transport: who is asking (authentication),
// what they ask (RequestAttributes), and whether they may (the Authorizer). A front end makes one
// gate and asks it before it touches the kernel.
import type { KObject } from '@skiff/kernel';
import { answerSelfReview, REVIEW_GROUP } from './access-review.ts';
import { allowAll, authorizeOrThrow, type Authorizer } from './authorization.ts';
import { authenticateOrThrow, tokenAuthenticator, type Authenticator, type TokenUser, type UserInfo } from './authentication.ts';
import { resourceAttributes, type RequestAttributes, type ResourceTarget, type Verb } from './request-attributes.ts';

export interface ApiGateOptions {
  /** accepted bearer tokens (ignored when `authenticator` is given); none: no authentication */
  tokens?: readonly (string | TokenUser)[];
  authenticator?: Authenticator;
  /** the authorizer, or how to find the current one (a plugin may provide one later); default allowAll */
  authorizer?: Authorizer | (() => Authorizer | undefined);
}

export class ApiGate {
  readonly authenticator: Authenticator;
  private readonly authorizer: () => Authorizer;

  constructor(o: ApiGateOptions = {}) {
    this.authenticator = o.authenticator ?? tokenAuthenticator(o.tokens);
    const a = o.authorizer;
    this.authorizer = typeof a === 'function' ? () => a() ?? allowAll : () => a ?? allowAll;
  }

  /** The user of a bearer token; a 401 StatusError when it stands for nobody. */
  authenticate(bearer: string | undefined): UserInfo {
    return authenticateOrThrow(this.authenticator, bearer);
  }

  /** Resolves when the request may go on; a 403 StatusError when not. */
  authorize(attrs: RequestAttributes): Promise<void> {
    return authorizeOrThrow(this.authorizer(), attrs);
  }

  /**
   * A self-review (SelfSubjectAccessReview, SelfSubjectRulesReview) created by `user`, who must be
   * allowed to create it: the review with its status, answered by the current authorizer.
   */
  async selfReview(user: UserInfo, resource: string, body: unknown): Promise<KObject> {
    await this.authorize(resourceAttributes(user, 'create', { group: REVIEW_GROUP, version: 'v1', resource }));
    return answerSelfReview(this.authorizer(), user, resource, body);
  }

  /** Authenticate and authorize a resource request: its attributes, or a 401/403 StatusError. */
  async admit(bearer: string | undefined, verb: Verb, target: ResourceTarget): Promise<RequestAttributes> {
    const attrs = resourceAttributes(this.authenticate(bearer), verb, target);
    await this.authorize(attrs);
    return attrs;
  }
}
