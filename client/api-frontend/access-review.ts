// authorization.k8s.io/v1 self-reviews, answered by a front end for the user who asks ("may I?"):
// SelfSubjectAccessReview (`kubectl auth can-i VERB RESOURCE`) asks the authorizer about one
// request; SelfSubjectRulesReview (`kubectl auth can-i --list`) asks it for everything the user may
// do in a namespace. Never stored. The kernel registers both kinds (discovery, OpenAPI) and refuses
// them itself: only a front end knows who is asking.
import { errors, type KObject } from '@skiff/kernel';
import type { UserInfo } from './authentication.ts';
import type { Authorizer, RuleSet } from './authorization.ts';
import { resourceAttributes, type RequestAttributes } from './request-attributes.ts';

export const REVIEW_GROUP = 'authorization.k8s.io';
const REVIEW_KINDS: Record<string, string> = {
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  selfsubjectrulesreviews: 'SelfSubjectRulesReview',
};

/** Whether a front end answers creates of this resource itself (group, resource). */
export const isSelfReview = (group: string, resource: string): boolean => group === REVIEW_GROUP && resource in REVIEW_KINDS;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);
const str = (x: unknown) => (typeof x === 'string' ? x : '');

function invalid(kind: string, field: string, value: unknown, message: string) {
  return errors.invalid({ group: REVIEW_GROUP, resource: '', kind }, '', [{ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value ?? null)}: ${message}` }]);
}

/** The body as a review of `kind`: an object whose apiVersion/kind, when given, are the endpoint's (400 otherwise). */
function reviewBody(kind: string, body: unknown): Obj {
  if (!isObj(body)) throw errors.badRequest(`the body of a ${kind} must be a JSON object`);
  if (body.kind !== undefined && body.kind !== kind) throw errors.badRequest(`the body's kind ${JSON.stringify(body.kind)} does not match the endpoint's (${kind})`);
  if (body.apiVersion !== undefined && body.apiVersion !== `${REVIEW_GROUP}/v1`) throw errors.badRequest(`the body's apiVersion ${JSON.stringify(body.apiVersion)} does not match the endpoint's (${REVIEW_GROUP}/v1)`);
  if (body.spec !== undefined && !isObj(body.spec)) throw errors.badRequest('spec must be an object');
  return body;
}

/** The request a SelfSubjectAccessReview's spec describes, for `user`; a 422 when the spec names none or both kinds. */
export function accessReviewAttributes(user: UserInfo, spec: Obj | undefined): RequestAttributes {
  const ra = spec?.resourceAttributes;
  const nra = spec?.nonResourceAttributes;
  const kind = 'SelfSubjectAccessReview';
  if (ra === undefined && nra === undefined) throw invalid(kind, 'spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified');
  if (ra !== undefined && nra !== undefined) throw invalid(kind, 'spec.nonResourceAttributes', nra, 'cannot be specified in combination with resourceAttributes');
  if (isObj(ra)) {
    return resourceAttributes(user, str(ra.verb), {
      group: str(ra.group),
      version: str(ra.version),
      resource: str(ra.resource),
      subresource: str(ra.subresource),
      namespace: str(ra.namespace),
      name: str(ra.name),
    });
  }
  if (isObj(nra)) {
    return { user, verb: str(nra.verb), resourceRequest: false, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', path: str(nra.path) };
  }
  throw invalid(kind, ra !== undefined ? 'spec.resourceAttributes' : 'spec.nonResourceAttributes', ra ?? nra, 'must be an object');
}

/** The rules an authorizer without rulesFor can give: none, and says so (kube's answer for webhooks). */
const UNKNOWN_RULES: RuleSet = { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'the authorizer in use cannot list rules' };

/**
 * The answer to a self-review (`resource` is selfsubjectaccessreviews or selfsubjectrulesreviews):
 * the review as sent, with its status filled in for `user`. Bad bodies are 400/422 Statuses.
 */
export async function answerSelfReview(authz: Authorizer, user: UserInfo, resource: string, body: unknown): Promise<KObject> {
  const kind = REVIEW_KINDS[resource];
  if (!kind) throw errors.noSuchResource(`the server could not find the requested resource (${resource}.${REVIEW_GROUP})`);
  const review = reviewBody(kind, body);
  const spec = isObj(review.spec) ? review.spec : undefined;
  const metadata = { ...(isObj(review.metadata) ? review.metadata : {}), creationTimestamp: null };
  let status: Obj;
  if (kind === 'SelfSubjectAccessReview') {
    const d = await authz.authorize(accessReviewAttributes(user, spec));
    status = d.allowed ? { allowed: true, ...(d.reason ? { reason: d.reason } : {}) } : { allowed: false, ...(d.denied ? { denied: true } : {}), ...(d.reason ? { reason: d.reason } : {}) };
  } else {
    const rules = authz.rulesFor ? await authz.rulesFor(user, str(spec?.namespace)) : UNKNOWN_RULES;
    status = { resourceRules: rules.resourceRules, nonResourceRules: rules.nonResourceRules, incomplete: rules.incomplete, ...(rules.evaluationError ? { evaluationError: rules.evaluationError } : {}) };
  }
  return { apiVersion: `${REVIEW_GROUP}/v1`, kind, metadata, spec: spec ?? {}, status } as unknown as KObject;
}
