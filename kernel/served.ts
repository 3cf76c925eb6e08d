// Kinds a plugin serves from memory (KindDefinition.served), as Kubernetes' aggregated APIs: the
// kernel answers get and list from the plugin (applying namespace, label and field selectors as for
// stored kinds) and refuses every other verb with 405, as kube-apiserver does for verbs a resource
// does not list.
import type { KindDefinition, ServedObjects } from './schema/kind-definition.ts';
import { errors } from './status.ts';
import { buildMatcher } from './store/selectors.ts';
import type { KindInfo, KList, KObject, ListOptions } from './types.ts';

const apiVersion = (d: { group: string; version: string }) => (d.group ? `${d.group}/${d.version}` : d.version);

function byNamespaceAndName(a: KObject, b: KObject): number {
  const na = a.metadata.namespace ?? '';
  const nb = b.metadata.namespace ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  const x = a.metadata.name ?? '';
  const y = b.metadata.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

export function servedGet(def: KindDefinition, served: ServedObjects, namespace: string | undefined, name: string): KObject {
  if (def.namespaced && !namespace) throw errors.badRequest('a namespace is required for ' + def.resource);
  const obj = served.get(def.namespaced ? namespace : undefined, name);
  if (!obj) throw errors.notFound(def, name);
  return obj;
}

/** The whole list, sorted as stored kinds' lists are; never paged (a `limit` is ignored, as metrics-server does). */
export function servedList(def: KindDefinition, info: KindInfo, served: ServedObjects, opts: ListOptions): KList {
  const matcher = buildMatcher(opts.labelSelector, opts.fieldSelector, def.selectableFields ?? {}, info.kind);
  const items: KObject[] = [];
  for (const o of served.list(def.namespaced ? opts.namespace : undefined)) if (!matcher || matcher(o)) items.push(o);
  items.sort(byNamespaceAndName);
  return { apiVersion: apiVersion(def), kind: info.listKind, metadata: { resourceVersion: '' }, items };
}

/** 405 for a verb a served kind does not have. */
export function notServed(def: KindDefinition, verb: string): Error {
  const res = def.group ? `${def.resource}.${def.group}` : def.resource;
  return errors.methodNotAllowed(`the server does not allow this method on the requested resource (${verb} ${res})`);
}
