// What a request asks to do, as kube's authorizer.Attributes: built by every front end for every
// request, before the kernel is touched, so one authorizer (RBAC later) decides for REST and gRPC alike.
import type { UserInfo } from './authentication.ts';

/** kube's resource verbs (and `get` on a path for non-resource requests). */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | (string & {});

export interface RequestAttributes {
  user: UserInfo;
  verb: Verb;
  /** true for a request on a kind (namespaces/.../pods/x); false for /version, /api, /healthz, ... */
  resourceRequest: boolean;
  /** API group ("" core), version, plural resource: set when resourceRequest */
  apiGroup: string;
  apiVersion: string;
  resource: string;
  /** "status", "scale", "log", "exec", ...; "" for the resource itself */
  subresource: string;
  /** "" for cluster-scoped kinds and for requests across all namespaces */
  namespace: string;
  /** "" for collection requests (list, watch, create, deletecollection) */
  name: string;
  /** the URL path of a non-resource request ("" otherwise) */
  path: string;
}

export interface ResourceTarget {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function resourceAttributes(user: UserInfo, verb: Verb, t: ResourceTarget): RequestAttributes {
  return {
    user,
    verb,
    resourceRequest: true,
    apiGroup: t.group,
    apiVersion: t.version,
    resource: t.resource,
    subresource: t.subresource ?? '',
    namespace: t.namespace ?? '',
    name: t.name ?? '',
    path: '',
  };
}

/** A request on a path that names no kind (discovery, /version, /openapi/v2, health). */
export function nonResourceAttributes(user: UserInfo, method: string, path: string): RequestAttributes {
  return { user, verb: httpVerb(method), resourceRequest: false, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', path };
}

/** kube's verb for an HTTP method on a non-resource path: the method, lower case (GET -> get, POST -> post). */
function httpVerb(method: string): Verb {
  return method.toLowerCase();
}

/**
 * kube's verb of a resource request from its HTTP method: GET of a name is get, of a collection list
 * (watch with ?watch); POST create; PUT update; PATCH patch; DELETE of a name delete, of a
 * collection deletecollection.
 */
export function restVerb(method: string, hasName: boolean, watch: boolean): Verb {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return hasName ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}
