// @skiff/client/api-frontend: what every API front end (REST, gRPC, later ones) shares that is not
// transport: authentication, request attributes, the authorizer seam, and the serving settings.
export { ADMIN_USER, ANONYMOUS_USER, bearerToken, tokenAuthenticator, authenticateOrThrow, type Authenticator, type TokenUser, type UserInfo } from './authentication.ts';
export { resourceAttributes, nonResourceAttributes, restVerb, type RequestAttributes, type ResourceTarget, type Verb } from './request-attributes.ts';
export { allowAll, AuthorizerToken, authorizeOrThrow, forbiddenMessage, type Authorizer, type Decision, type RuleSet } from './authorization.ts';
export { answerSelfReview, accessReviewAttributes, isSelfReview, REVIEW_GROUP } from './access-review.ts';
export { ApiGate, type ApiGateOptions } from './gate.ts';
export { parseYamlBody, yamlDuplicateFields, yamlTextDepthExceeds } from './yaml-body.ts';
export { RecentEncodings } from './recent-encodings.ts';
export { ApiServingToken, type ApiServing, type HealthProbe, type HealthCheckResult } from './serving.ts';
