// Server-side apply's operations on objects, driven by the kind's schema (structured-merge-diff's
// typed package): the set of fields a value sets, the comparison of two values (added, modified,
// removed fields), the merge of an applied configuration into a live object, and the removal of
// fields from a value. Lists are atomic, sets of scalars or maps keyed by some fields
// (patch-schema.ts listShape); maps are granular unless atomic.
import { FieldSet, fieldElement, keyElement, valueElement, type Path, type PathElement } from './field-set.ts';
import { cloneJson, jsonEqual, setKey as put } from './json.ts';
import { fieldSchema, isAtomicMap, isDeclaredField, itemSchema, keyDefault, listShape, type SchemaNode } from './patch-schema.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
type Kind = 'map' | 'list' | 'scalar';
const kindOf = (v: unknown): Kind => (Array.isArray(v) ? 'list' : isObj(v) ? 'map' : 'scalar');

/** A value that server-side apply cannot work with (a keyed list item without its key, duplicates). */
export class TypedValueError extends Error {
  constructor(
    /** where, as a field path: spec.template.spec.containers[0] */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}


/** The path element of a list item: `k:{...}` by the list's keys (or their defaults), `v:...` in a set. */
export function listItemElement(item: unknown, list: SchemaNode, where: string): PathElement {
  const shape = listShape(list);
  if (shape.type === 'map') {
    if (!isObj(item)) throw new TypedValueError(where, 'associative list with keys may not have non-map elements');
    const key: Obj = {};
    for (const k of shape.keys) {
      if (Object.hasOwn(item, k)) key[k] = item[k];
      else {
        const d = keyDefault(itemSchema(list), k);
        if (d !== undefined) key[k] = d;
      }
    }
    if (!Object.keys(key).length) throw new TypedValueError(where, `associative list with keys has an element that omits all key fields ${JSON.stringify(shape.keys)}`);
    return keyElement(key);
  }
  if (item === null || typeof item === 'object') throw new TypedValueError(where, 'associative list without keys has an element that is not a scalar');
  return valueElement(item);
}

/** The path elements of a granular list's items; duplicates allowed or an error. */
function listElements(list: unknown[], schema: SchemaNode, where: string): PathElement[] {
  return list.map((item, i) => listItemElement(item, schema, `${where}[${i}]`));
}

/** A path as a field path of causes: spec.containers[k:{"name":"a"}] */
const pathWhere = (path: Path) => path.map((p, i) => (p.startsWith('f:') ? `${i ? '.' : ''}${p.slice(2)}` : `[${p.slice(2)}]`)).join('');

/** The fields a value sets (SMD ToFieldSet): leaves, atomic values, list items, map keys, empty maps. */
export function toFieldSet(value: unknown, schema: SchemaNode): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, s: SchemaNode, path: Path) => {
    const kind = kindOf(v);
    if (kind === 'scalar') return void set.insert(path);
    if (kind === 'list') {
      if (listShape(s).type === 'atomic') return void set.insert(path);
      const list = v as unknown[];
      const pes = listElements(list, s, pathWhere(path));
      const count = new Map<PathElement, number>();
      for (const pe of pes) count.set(pe, (count.get(pe) ?? 0) + 1);
      list.forEach((item, i) => {
        const pe = pes[i]!;
        if (count.get(pe)! > 1) return void set.insert([...path, pe]); // a duplicate: owned whole
        walk(item, itemSchema(s), [...path, pe]);
        set.insert([...path, pe]);
      });
      return;
    }
    if (isAtomicMap(s)) return void set.insert(path);
    for (const [k, x] of Object.entries(v as Obj)) {
      const p = [...path, fieldElement(k)];
      walk(x, fieldSchema(s, k), p);
      if (x === null || (isObj(x) && Object.keys(x).length === 0) || !isDeclaredField(s, k)) set.insert(p);
    }
  };
  walk(value, schema, []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

const isEmptyish = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);

/** What changed from `lhs` to `rhs` (SMD Compare). Equal subtrees are skipped whole. */
export function compare(lhs: unknown, rhs: unknown, schema: SchemaNode): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const path: Path = []; // the walk's path, one element pushed per level (insert keeps no array)
  const leaf = (l: unknown, r: unknown) => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!jsonEqual(l, r)) c.modified.insert(path);
  };
  const child = (pe: PathElement, l: unknown, r: unknown, s: SchemaNode) => {
    if (l !== undefined && r !== undefined && jsonEqual(l, r)) return; // nothing changed below
    path.push(pe);
    walk(l, r, s);
    path.pop();
  };
  const walk = (l: unknown, r: unknown, s: SchemaNode) => {
    // a struct is never missing in Kubernetes' typed objects (Go's non-pointer structs): {} instead
    if (isStruct(s)) {
      if (l === undefined && isObj(r)) l = {};
      else if (r === undefined && isObj(l)) r = {};
    }
    const lk = l === undefined ? undefined : kindOf(l);
    const rk = r === undefined ? undefined : kindOf(r);
    const kind = lk ?? rk;
    if ((lk && rk && lk !== rk) || kind === 'scalar') return leaf(l, r);
    if (kind === 'list') {
      if (listShape(s).type === 'atomic' || (isEmptyish(l) && isEmptyish(r))) return leaf(l, r);
      let lp: PathElement[];
      let rp: PathElement[];
      try {
        lp = listElements((l as unknown[]) ?? [], s, pathWhere(path));
        rp = listElements((r as unknown[]) ?? [], s, pathWhere(path));
      } catch (e) {
        if (e instanceof TypedValueError) return leaf(l, r); // not keyed as the schema says: as a whole
        throw e;
      }
      const lv = group(lp, (l as unknown[]) ?? []);
      const rv = group(rp, (r as unknown[]) ?? []);
      const items = itemSchema(s);
      for (const pe of [...lv.keys(), ...[...rv.keys()].filter((x) => !lv.has(x))]) {
        const ll = lv.get(pe) ?? [];
        const rl = rv.get(pe) ?? [];
        if (ll.length <= 1 && rl.length <= 1) child(pe, ll[0], rl[0], items);
        else if (ll.length >= 2 && rl.length >= 2) {
          if (!jsonEqual(ll, rl)) c.modified.insert(path, pe);
        } else if (ll.length >= 2) {
          if (rl.length) child(pe, undefined, rl[0], items);
          c.removed.insert(path, pe);
        } else {
          if (ll.length) child(pe, ll[0], undefined, items);
          c.added.insert(path, pe);
        }
      }
    } else {
      if (isAtomicMap(s) || (isEmptyish(l) && isEmptyish(r))) return leaf(l, r);
      const lo = (l as Obj | undefined) ?? {};
      const ro = (r as Obj | undefined) ?? {};
      for (const k of Object.keys(lo)) child(fieldElement(k), lo[k], Object.hasOwn(ro, k) ? ro[k] : undefined, fieldSchema(s, k));
      for (const k of Object.keys(ro)) if (!Object.hasOwn(lo, k)) child(fieldElement(k), undefined, ro[k], fieldSchema(s, k));
    }
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  };
  walk(lhs, rhs, schema);
  return c;
}

/** A granular object with declared fields (not a map of keys to values). */
const isStruct = (s: SchemaNode) => !!s && isObj(s.properties) && s.additionalProperties === undefined && !isAtomicMap(s);

function group(pes: PathElement[], list: unknown[]): Map<PathElement, unknown[]> {
  const m = new Map<PathElement, unknown[]>();
  pes.forEach((pe, i) => {
    const l = m.get(pe);
    if (l) l.push(list[i]);
    else m.set(pe, [list[i]]);
  });
  return m;
}

/**
 * The applied configuration `rhs` merged into the live object `lhs` (SMD Merge with the applied
 * value winning): maps merged field by field, keyed lists and sets item by item in an order that
 * keeps the configuration's order, atomic values replaced. Duplicate keys in the configuration are
 * an error. Returns a new value.
 */
export function merge(lhs: unknown, rhs: unknown, schema: SchemaNode): unknown {
  const walk = (l: unknown, r: unknown, s: SchemaNode, path: Path): unknown => {
    if (r === undefined) return cloneJson(l);
    const lk = l === undefined ? undefined : kindOf(l);
    const rk = kindOf(r);
    if ((lk && lk !== rk) || rk === 'scalar') return cloneJson(r);
    if (rk === 'list') {
      if (listShape(s).type === 'atomic' || (isEmptyish(l) && isEmptyish(r))) return cloneJson(r);
      return mergeList((l as unknown[]) ?? [], r as unknown[], s, path, walk);
    }
    if (isAtomicMap(s) || (isEmptyish(l) && isEmptyish(r))) return cloneJson(r);
    const lo = (l as Obj | undefined) ?? {};
    const ro = r as Obj;
    const out: Obj = {};
    for (const k of Object.keys(lo)) put(out, k, walk(lo[k], Object.hasOwn(ro, k) ? ro[k] : undefined, fieldSchema(s, k), [...path, fieldElement(k)]));
    for (const k of Object.keys(ro)) if (!Object.hasOwn(lo, k)) put(out, k, walk(undefined, ro[k], fieldSchema(s, k), [...path, fieldElement(k)]));
    return out;
  };
  return walk(lhs, rhs, schema, []);
}

type MergeFn = (l: unknown, r: unknown, s: SchemaNode, path: Path) => unknown;

/** SMD's visitListItems for a merge: the configuration's items in its order, live-only items kept where they were. */
function mergeList(lhs: unknown[], rhs: unknown[], s: SchemaNode, path: Path, walk: MergeFn): unknown[] {
  const where = pathWhere(path);
  const rhsPEs = listElements(rhs, s, where);
  const observedRHS = new Map<PathElement, unknown>();
  rhsPEs.forEach((pe, i) => {
    if (observedRHS.has(pe)) throw new TypedValueError(where, `duplicate entries for key ${pe.slice(2)}`);
    observedRHS.set(pe, rhs[i]);
  });
  const lhsPEs = listElements(lhs, s, where);
  const observedLHS = new Map<PathElement, unknown>();
  lhsPEs.forEach((pe, i) => observedLHS.set(pe, observedLHS.has(pe) ? null : lhs[i])); // a duplicate: null, as SMD
  const items = itemSchema(s);
  const item = (pe: PathElement, l: unknown, r: unknown) => walk(l, r, items, [...path, pe]);
  const shared = rhsPEs.filter((pe) => observedLHS.has(pe));
  let next: PathElement | undefined = shared.shift();
  const mergedRHS = new Set<PathElement>();
  const out: unknown[] = [];
  let lI = 0;
  let rI = 0;
  while (lI < lhsPEs.length || rI < rhsPEs.length) {
    if (lI < lhsPEs.length && rI < rhsPEs.length) {
      const pe = lhsPEs[lI]!;
      if (pe === rhsPEs[rI]) {
        mergedRHS.add(pe);
        out.push(item(pe, observedLHS.get(pe), observedRHS.get(pe)));
        lI++;
        rI++;
        next = shared.shift();
        continue;
      }
      if (observedRHS.has(pe) && next !== undefined && next !== pe) {
        lI++;
        continue;
      }
    }
    if (lI < lhsPEs.length) {
      const pe = lhsPEs[lI]!;
      if (!observedRHS.has(pe)) {
        out.push(item(pe, lhs[lI], undefined));
        lI++;
        continue;
      } else if (mergedRHS.has(pe)) lI++;
    }
    if (rI < rhsPEs.length) {
      const pe = rhsPEs[rI]!;
      mergedRHS.add(pe);
      out.push(item(pe, observedLHS.has(pe) ? observedLHS.get(pe) : undefined, observedRHS.get(pe)));
      rI++;
      if (next === pe) next = shared.shift();
    }
  }
  return out;
}

/**
 * `value` without the paths of `remove` (SMD RemoveItems): a field or item named in the set goes
 * with everything under it. A map or list left with nothing is answered as null, as SMD does (its
 * parent keeps the field; the caller drops nulls).
 */
export function removeItems(value: unknown, remove: FieldSet, schema: SchemaNode): unknown {
  const walk = (v: unknown, set: FieldSet, s: SchemaNode, where: string): unknown => {
    const kind = kindOf(v);
    if (kind === 'scalar') return v;
    if (kind === 'list') {
      const list = v as unknown[];
      if (!list.length || listShape(s).type === 'atomic') return null;
      const out: unknown[] = [];
      list.forEach((x, i) => {
        const pe = listItemElement(x, s, `${where}[${i}]`);
        if (set.has([pe])) return;
        const sub = set.withPrefix(pe);
        out.push(sub.empty ? x : walk(x, sub, itemSchema(s), `${where}[${i}]`));
      });
      return out.length ? out : null;
    }
    const o = v as Obj;
    if (!Object.keys(o).length || isAtomicMap(s)) return null;
    const out: Obj = {};
    for (const [k, x] of Object.entries(o)) {
      const pe = fieldElement(k);
      if (set.has([pe])) continue;
      const sub = set.withPrefix(pe);
      put(out, k, sub.empty ? x : walk(x, sub, fieldSchema(s, k), `${where}.${k}`));
    }
    return Object.keys(out).length ? out : null;
  };
  return walk(value, remove, schema, '');
}

/** The set with the declared fields on the way to its paths added as members (SMD EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(set: FieldSet, schema: SchemaNode): FieldSet {
  const out = new FieldSet();
  for (const m of set.members) out.members.add(m);
  for (const [pe, c] of set.children) {
    let sub: SchemaNode;
    if (pe.startsWith('f:')) {
      const name = pe.slice(2);
      if (isDeclaredField(schema, name)) out.members.add(pe);
      sub = fieldSchema(schema, name);
    } else if (pe.startsWith('k:')) sub = itemSchema(schema);
    out.children.set(pe, ensureNamedFieldsAreMembers(c, sub));
  }
  return out;
}

/** Null fields dropped, all the way down (a null field is an unset one once typed, as in Kubernetes). */
export function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) put(out, k, dropNulls(x));
  return out;
}
