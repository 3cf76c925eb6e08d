// May this user do this? The seam RBAC plugs into: an Authorizer decides on RequestAttributes;
// until one is provided (AuthorizerToken), everything authenticated is allowed.
import { createServiceToken } from '@skiff/kernel/plugins';
import { errors } from '@skiff/kernel';
import type { RequestAttributes } from './request-attributes.ts';

/**
 * An authorizer's answer. `reason` says why (shown in a 403 and in access reviews); `denied` is an
 * explicit refusal (kube's DecisionDeny), as opposed to no rule allowing it.
 */
export type Decision = { allowed: true; reason?: string } | { allowed: false; denied?: boolean; reason?: string };

/** What a user may do in a namespace, as SelfSubjectRulesReview's status (kube's authorizer.RuleResolver). */
export interface RuleSet {
  resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
  nonResourceRules: { verbs: string[]; nonResourceURLs?: string[] }[];
  /** true when the list may leave out what the user may do */
  incomplete: boolean;
  evaluationError?: string;
}

export interface Authorizer {
  authorize(attrs: RequestAttributes): Decision | Promise<Decision>;
  /** Everything the user may do in `namespace` ("" = cluster scope), for `kubectl auth can-i --list`; optional. */
  rulesFor?(user: RequestAttributes['user'], namespace: string): RuleSet | Promise<RuleSet>;
}

const ALLOWED: Decision = Object.freeze({ allowed: true });
const EVERYTHING: RuleSet = Object.freeze({
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
  incomplete: false,
});

/** Today's policy: whoever authenticated may do anything (kube's AlwaysAllow). */
export const allowAll: Authorizer = { authorize: () => ALLOWED, rulesFor: () => EVERYTHING };

/**
 * The authorizer a plugin (RBAC, a webhook) provides to the API front ends. Front ends resolve it
 * per request (ctx.tryResolve), so one loaded or reloaded later takes effect at once.
 */
export const AuthorizerToken = createServiceToken<Authorizer>('skiff.api.authorizer');

/** kube's forbidden message: `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns"`. */
export function forbiddenMessage(a: RequestAttributes, reason?: string): string {
  const why = reason ? `: ${reason}` : '';
  if (!a.resourceRequest) return `forbidden: User "${a.user.name}" cannot ${a.verb} path "${a.path}"${why}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const what = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const subject = a.name ? `${what} "${a.name}"` : what;
  const scope = a.namespace ? ` in the namespace "${a.namespace}"` : a.name ? '' : ' at the cluster scope';
  return `${subject} is forbidden: User "${a.user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}"${scope}${why}`;
}

/** Resolves when allowed; throws a 403 Forbidden StatusError (kube's message and details) when not. */
export async function authorizeOrThrow(authz: Authorizer, a: RequestAttributes): Promise<void> {
  let d = authz.authorize(a);
  if (d instanceof Promise) d = await d;
  if (d.allowed) return;
  throw errors.forbidden(forbiddenMessage(a, d.reason), a.resourceRequest ? { name: a.name || undefined, group: a.apiGroup, kind: a.resource } : undefined);
}
