// May this user do this? The seam RBAC plugs into: an Authorizer decides on RequestAttributes;
// until one is provided (AuthorizerToken), everything authenticated is allowed.
import { createServiceToken } from '@skiff/kernel/plugins';
import { errors } from '@skiff/kernel';
import type { RequestAttributes } from './request-attributes.ts';

export type Decision = { allowed: true } | { allowed: false; reason?: string };

export interface Authorizer {
  authorize(attrs: RequestAttributes): Decision | Promise<Decision>;
}

const ALLOWED: Decision = Object.freeze({ allowed: true });

/** Today's policy: whoever authenticated may do anything (kube's AlwaysAllow). */
export const allowAll: Authorizer = { authorize: () => ALLOWED };

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
