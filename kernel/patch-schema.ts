// Walking a kind's structural schema for its patch metadata (kernel/schema/patch-meta.ts says how it
// is written). Strategic merge patch asks for a field's patch strategy and merge key; server-side
// apply asks whether a list is atomic, a set or a map keyed by some fields, and whether a map is
// atomic. Where the schema says nothing (no schema, an unknown field), maps merge and lists are
// atomic: what Kubernetes deduces for objects without a schema.
import { LIST_MAP_KEYS, LIST_TYPE, MAP_TYPE, PATCH_MERGE_KEY, PATCH_STRATEGY } from './schema/patch-keys.ts';

export type SchemaNode = Record<string, unknown> | undefined;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema of field `key` of an object: a declared property, else the map's value schema. */
export function fieldSchema(s: SchemaNode, key: string): SchemaNode {
  if (!s) return undefined;
  const props = s.properties;
  if (isObj(props) && Object.hasOwn(props, key) && isObj(props[key])) return props[key];
  if (isObj(s.additionalProperties)) return s.additionalProperties;
  return undefined;
}

/** Whether `key` is a declared field of a struct (not a key of a map). */
export function isDeclaredField(s: SchemaNode, key: string): boolean {
  return !!s && isObj(s.properties) && Object.hasOwn(s.properties, key);
}

/** The schema of a list's items. */
export function itemSchema(s: SchemaNode): SchemaNode {
  return s && isObj(s.items) ? s.items : undefined;
}

/** Strategic merge patch: the field's patch strategies (`merge`, `replace`, `retainKeys`, ...). */
export function patchStrategies(s: SchemaNode): string[] {
  const v = s?.[PATCH_STRATEGY];
  return typeof v === 'string' && v ? v.split(',') : [];
}

/** Strategic merge patch: the strategy other than retainKeys ('' when none: replace lists, merge maps). */
export function patchStrategy(s: SchemaNode): string {
  return patchStrategies(s).find((x) => x !== 'retainKeys') ?? '';
}

/** Strategic merge patch: the key that identifies the items of a list merged by key. */
export function patchMergeKey(s: SchemaNode): string {
  const v = s?.[PATCH_MERGE_KEY];
  return typeof v === 'string' ? v : '';
}

export interface ListShape {
  type: 'atomic' | 'set' | 'map';
  /** for a map: the fields that identify an item (sorted as Kubernetes sorts them for `k:` paths) */
  keys: string[];
}

const ATOMIC: ListShape = { type: 'atomic', keys: [] };

/**
 * Server-side apply: how a list is merged. x-kubernetes-list-type decides; without it a list that
 * strategic merge patch merges (patch strategy merge) is a map by its merge key, or a set of
 * scalars without one (as kube-openapi converts built-in schemas); anything else is atomic.
 */
export function listShape(s: SchemaNode): ListShape {
  if (!s) return ATOMIC;
  const t = s[LIST_TYPE];
  if (t === 'set') return { type: 'set', keys: [] };
  if (t === 'map') {
    const keys = Array.isArray(s[LIST_MAP_KEYS]) ? (s[LIST_MAP_KEYS] as unknown[]).filter((k): k is string => typeof k === 'string') : [];
    return keys.length ? { type: 'map', keys } : ATOMIC;
  }
  if (t === 'atomic') return ATOMIC;
  if (patchStrategies(s).includes('merge')) {
    const key = patchMergeKey(s);
    return key ? { type: 'map', keys: [key] } : { type: 'set', keys: [] };
  }
  return ATOMIC;
}

/** Server-side apply: a struct or map owned and replaced as one value. */
export function isAtomicMap(s: SchemaNode): boolean {
  return s?.[MAP_TYPE] === 'atomic';
}

/** The default value a list-map key field has in the schema (a port's protocol: TCP). */
export function keyDefault(items: SchemaNode, key: string): unknown {
  const f = fieldSchema(items, key);
  return f && Object.hasOwn(f, 'default') ? f.default : undefined;
}
