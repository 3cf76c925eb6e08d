// authorization.k8s.io/v1 SelfSubjectAccessReview and SelfSubjectRulesReview: "may I?" questions
// (`kubectl auth can-i`, `kubectl auth can-i --list`). Review kinds: only `create`, answered by the
// API front end for the requesting user through the authorizer seam (client/api-frontend/
// access-review.ts, which validates them too), never stored. The kernel knows them for discovery
// and OpenAPI, and refuses every verb on them with 405 (it does not know who asks).
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { objectSchema } from './helpers.ts';

const resourceAttributes = S.obj({
  namespace: S.str,
  verb: S.str,
  group: S.str,
  version: S.str,
  resource: S.str,
  subresource: S.str,
  name: S.str,
  fieldSelector: S.obj(),
  labelSelector: S.obj(),
});
const nonResourceAttributes = S.obj({ path: S.str, verb: S.str });

const accessReviewProps = {
  spec: S.obj({ resourceAttributes, nonResourceAttributes }),
  status: S.obj({ allowed: S.bool, denied: S.bool, reason: S.str, evaluationError: S.str }),
};

export const selfSubjectAccessReviewKind: SkiffKindDefinition = {
  group: 'authorization.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectAccessReview',
  resource: 'selfsubjectaccessreviews',
  singular: 'selfsubjectaccessreview',
  namespaced: false,
  review: true,
  schema: objectSchema(accessReviewProps),
};

const rule = (extra: Record<string, ReturnType<typeof S.obj>>) => S.arr(S.obj({ verbs: S.strArr, ...extra }));
const rulesReviewProps = {
  spec: S.obj({ namespace: S.str }),
  status: S.obj({
    resourceRules: rule({ apiGroups: S.strArr, resources: S.strArr, resourceNames: S.strArr }),
    nonResourceRules: rule({ nonResourceURLs: S.strArr }),
    incomplete: S.bool,
    evaluationError: S.str,
  }),
};

export const selfSubjectRulesReviewKind: SkiffKindDefinition = {
  group: 'authorization.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectRulesReview',
  resource: 'selfsubjectrulesreviews',
  singular: 'selfsubjectrulesreview',
  namespaced: false,
  review: true,
  schema: objectSchema(rulesReviewProps),
};
