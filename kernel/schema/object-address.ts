// The door check of a name and namespace that address a stored object (get, update, patch, delete):
// a name or namespace that no object of the kind can have is answered here, before a store key is
// built. A key that long would reach NATS as a subject over its 4 KB control-line limit, and NATS
// drops the whole shared connection for it (every request in flight fails).
import { isDNS1123Label } from '@skiff/api';
import { errors } from '../status.ts';
import type { KindDefinition } from './kind-definition.ts';
import { MAX_NAMESPACE_LENGTH, MAX_PATH_SEGMENT_NAME_LENGTH } from './limits.ts';
import { nameCheckOf } from './object-meta.ts';

/** Whether an object of `def` can be called `name` (the create-time check of the kind, length first). */
export function possibleName(def: KindDefinition, name: string): boolean {
  // every name check Skiff has caps names at 253 (a path-segment name gets the same cap here)
  if (name.length > MAX_PATH_SEGMENT_NAME_LENGTH) return false;
  return nameCheckOf(def)(name, false).length === 0;
}

/** Whether a namespace called `ns` can exist (a DNS-1123 label). */
export function possibleNamespace(ns: string): boolean {
  return ns.length <= MAX_NAMESPACE_LENGTH && isDNS1123Label(ns).length === 0;
}

/**
 * Throws the Status a read or write of `namespace`/`name` must answer when no such object can
 * exist: 400 for a missing name or a non-string, 404 NotFound (what the store would say, only
 * without asking it) for a name or namespace the kind does not allow.
 */
export function checkObjectAddress(def: KindDefinition, namespace: unknown, name: unknown): void {
  if (typeof name !== 'string') throw errors.badRequest('name must be a string');
  if (name === '') throw errors.badRequest('name must be provided');
  if (namespace !== undefined && namespace !== null && typeof namespace !== 'string') throw errors.badRequest('namespace must be a string');
  if (!possibleName(def, name)) throw errors.notFound(def, shorten(name));
  if (def.namespaced && typeof namespace === 'string' && namespace !== '' && !possibleNamespace(namespace)) throw errors.notFound(def, shorten(name));
}

/** Names in messages stay readable (a 5 KB name is not echoed back in full). */
export function shorten(s: string, max = 300): string {
  return s.length <= max ? s : `${s.slice(0, max)}...(${s.length} characters)`;
}
