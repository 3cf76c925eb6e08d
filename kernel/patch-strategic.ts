// Strategic merge patch, as kube-apiserver applies it (k8s.io/apimachinery strategicpatch,
// StrategicMergeMapPatch: parallel delete lists merged, unmatched nulls ignored), driven by the
// kind's schema: lists with patch strategy `merge` are merged by their merge key (or, for scalars,
// as a set), other lists are replaced; maps merge unless their strategy is `replace`. Directives:
// `$patch: replace | delete | merge`, `$retainKeys`, `$setElementOrder/<list>`,
// `$deleteFromPrimitiveList/<list>`. No maintained npm package implements it (npm has JSON patch and
// JSON merge patch only), so this follows kube's code path by path; the order of merged lists
// follows kube's too ($setElementOrder, then the patch's order, then the live list's).
import { cloneJson, setKey as put } from './json.ts';
import { errors, type StatusError } from './status.ts';
import { fieldSchema, itemSchema, patchMergeKey, patchStrategy, type SchemaNode } from './patch-schema.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/** kube answers malformed patches with 400 (and a few with 422); never a 500 here. */
const bad = (message: string): StatusError => errors.badRequest(message);
const unprocessable = (message: string): StatusError => {
  const e = errors.badRequest(message);
  e.status.code = 422;
  e.status.reason = 'Invalid';
  return e;
};


const isDirectiveKey = (k: string) => k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE);

/**
 * Applies a strategic merge patch to `original` (which it changes: pass a copy) and returns the
 * result. `schema` is the schema of the object; StatusErrors (400/422) for malformed patches.
 */
export function strategicMergePatch(original: Obj, patch: Obj, schema: SchemaNode): Obj {
  return mergeMap(original, cloneJson(patch), schema);
}

/** The kind of a JSON value as Go's reflect sees a decoded one: map, slice or a scalar type. */
function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'slice';
  if (isObj(v)) return 'map';
  return typeof v;
}

function mergeMap(original: Obj | undefined, patch: Obj, schema: SchemaNode): Obj {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') {
      delete patch[DIRECTIVE];
      return removeDirectives(patch) as Obj;
    }
    if (d === 'delete') return {};
    throw bad(`Unable to find api field in struct for $patch: unknown patch type: ${JSON.stringify(d)} (replace, merge or delete) in map`);
  }
  const out = original ?? {};
  applyRetainKeys(out, patch);
  mergeSetElementOrder(out, patch, schema);
  const deleteLists: [string, unknown][] = [];
  for (const [key, patchV] of Object.entries(patch)) {
    if (key.startsWith(DELETE_PRIMITIVE)) {
      const k = key.slice(DELETE_PRIMITIVE.length);
      if (!k) throw bad('invalid patch: $deleteFromPrimitiveList must be followed by the name of a list');
      deleteLists.push([k, patchV]);
      continue;
    }
    if (patchV === null) {
      delete out[key];
      continue;
    }
    if (!Object.hasOwn(out, key) || kindOf(out[key]) !== kindOf(patchV)) {
      discardNulls(patchV);
      const v = removeDirectives(patchV);
      if (v === DROP) delete out[key];
      else put(out, key, v);
      continue;
    }
    const sub = fieldSchema(schema, key);
    if (isObj(patchV)) {
      const v = patchStrategy(sub) === 'replace' ? removeDirectives(patchV) : mergeMap(out[key] as Obj, patchV, sub);
      // `$patch: delete` empties the map; an empty map field is no field once typed (Go's omitempty),
      // an empty struct stays (kube then defaults it)
      if (v === DROP || (patchV[DIRECTIVE] === 'delete' && !isObj(sub?.properties))) delete out[key];
      else out[key] = v;
    } else if (Array.isArray(patchV)) {
      out[key] = mergeSliceHandler(out[key] as unknown[], patchV, sub, false);
    } else {
      out[key] = patchV;
    }
  }
  // the parallel lists of values to take out of lists of scalars, after the additions
  for (const [k, v] of deleteLists) {
    if (!Array.isArray(v)) throw bad('invalid patch: $deleteFromPrimitiveList must be a list');
    const cur = out[k];
    if (cur === undefined) continue;
    if (!Array.isArray(cur)) continue; // a type mismatch with a delete list changes nothing (kube)
    out[k] = mergeSlice(cur, v, fieldSchema(schema, k), true);
  }
  return out;
}

/** $retainKeys: fields of the original not in the list are cleared; the patch may only set listed fields. */
function applyRetainKeys(original: Obj, patch: Obj): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw bad('invalid patch: $retainKeys must be a list of field names');
  const keep = new Set(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_PRIMITIVE) || k.startsWith(SET_ORDER)) continue;
    if (!keep.has(k)) throw bad(`invalid patch: $retainKeys does not list the field ${JSON.stringify(k)} the patch sets`);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** $setElementOrder/<list>: merge the list now and put its items in the order given (kube's mergePatchIntoOriginal). */
function mergeSetElementOrder(original: Obj, patch: Obj, schema: SchemaNode): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw bad(`invalid patch: ${key} must be a list`);
    const field = key.slice(SET_ORDER.length);
    if (!field) throw bad('invalid patch: $setElementOrder must be followed by the name of a list');
    const sub = fieldSchema(schema, field);
    const mergeKey = patchMergeKey(sub);
    // the live list as kube's code sees it after the merge: Go's in-place deletes and appends write
    // into the live list's array, and kube orders by that array (see GoSliceView)
    const live: { order?: unknown[] } = {};
    const hasOrig = Object.hasOwn(original, field);
    const hasPatch = Object.hasOwn(patch, field);
    const origList = hasOrig ? original[field] : undefined;
    const patchList = hasPatch ? patch[field] : undefined;
    if (hasOrig && !Array.isArray(origList)) throw bad(`invalid patch: ${field} is not a list`);
    if (hasPatch && !Array.isArray(patchList)) throw bad(`invalid patch: ${field} in the patch is not a list`);
    validateSetOrder((patchList as unknown[] | undefined) ?? [], order, mergeKey, key);
    let merged: unknown[];
    if (hasOrig && !hasPatch) merged = origList as unknown[];
    else if (!hasOrig && hasPatch) merged = removeDirectives(patchList) as unknown[];
    else if (hasOrig && hasPatch) merged = mergeSliceHandler(origList as unknown[], patchList as unknown[], sub, false, live);
    else continue;
    const isMap = [...((origList as unknown[] | undefined) ?? []), ...((patchList as unknown[] | undefined) ?? [])].some(isObj);
    const [inPatch, serverOnly] = mergeKey && isMap ? partitionMaps(merged, order, mergeKey) : partitionScalars(merged, order);
    original[field] = normalizeElementOrder(inPatch, serverOnly, order, live.order ?? (origList as unknown[] | undefined) ?? [], isMap ? mergeKey : '');
    delete patch[field];
  }
}

/** The $setElementOrder list must name every (non-deleted) patch item, in the patch's relative order. */
function validateSetOrder(patchList: unknown[], order: unknown[], mergeKey: string, key: string): void {
  if (!order.length || !patchList.length) return;
  const items = mergeKey ? patchList.filter((p) => !(isObj(p) && p[DIRECTIVE] === 'delete')) : patchList;
  let pi = 0;
  let oi = 0;
  while (pi < items.length && oi < order.length) {
    const p = items[pi];
    if (isObj(p) && Object.hasOwn(p, DIRECTIVE)) {
      pi++;
      continue;
    }
    if (sameByKey(p, order[oi], mergeKey, key)) pi++;
    oi++;
  }
  if (pi < items.length) throw bad(`invalid patch: the order in the patch list doesn't match ${key}`);
}

function sameByKey(a: unknown, b: unknown, mergeKey: string, where: string): boolean {
  if (!mergeKey) return a === b;
  if (!isObj(a) || !isObj(b)) throw bad(`invalid patch: the items of ${where} must be objects`);
  if (!Object.hasOwn(a, mergeKey) || !Object.hasOwn(b, mergeKey)) throw bad(`invalid patch: an item of ${where} does not contain the merge key ${JSON.stringify(mergeKey)}`);
  return a[mergeKey] === b[mergeKey];
}

function mergeSliceHandler(original: unknown[], patch: unknown[], schema: SchemaNode, isDeleteList: boolean, live?: { order?: unknown[] }): unknown[] {
  if (patchStrategy(schema) === 'merge' || isDeleteList) return mergeSlice(original, patch, schema, isDeleteList, live);
  return removeDirectives(patch) as unknown[];
}

/** The element kind shared by the lists (kube refuses mixed lists and lists of lists). */
function elementKind(...lists: unknown[][]): string | undefined {
  let kind: string | undefined;
  for (const l of lists)
    for (const v of l) {
      const k = kindOf(v);
      if (kind === undefined) {
        if (k === 'slice') throw unprocessable('lists of lists are not supported');
        kind = k;
      } else if (k !== kind) throw bad('invalid patch: list element types are not identical');
    }
  return kind;
}

function mergeSlice(original: unknown[], patch: unknown[], schema: SchemaNode, isDeleteList: boolean, live?: { order?: unknown[] }): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  const mergeKey = patchMergeKey(schema);
  let merged: unknown[];
  if (kind !== 'map') {
    if (isDeleteList) {
      const drop = new Set(patch);
      return original.filter((v) => !drop.has(v));
    }
    merged = [...new Set([...original, ...patch])];
    const [inPatch, serverOnly] = partitionScalars(merged, patch);
    return normalizeElementOrder(inPatch, serverOnly, patch, original, '');
  }
  if (!mergeKey) throw bad('invalid patch: cannot merge lists of objects without a merge key');
  const view = new GoSliceView(original);
  [original, patch] = withoutSpecialElements(view, patch, mergeKey);
  merged = mergeByKey(original, patch, mergeKey, itemSchema(schema), view);
  if (live) live.order = view.array;
  const [inPatch, serverOnly] = partitionMaps(merged, patch, mergeKey);
  return normalizeElementOrder(inPatch, serverOnly, patch, original, mergeKey);
}

/**
 * The array under a Go slice of the live list, as kube's mergeSlice changes it: a delete shifts the
 * items after it left in place (`append(s[:i], s[i+1:]...)`), and appends write into the room that
 * freed until the array is full. kube orders a $setElementOrder list by the live list read through
 * this array afterwards, so the same patch gives the same order here.
 */
class GoSliceView {
  readonly array: unknown[];
  length: number;
  constructor(list: unknown[]) {
    this.array = [...list];
    this.length = list.length;
  }
  deleteWhere(match: (v: unknown) => boolean): void {
    for (;;) {
      let i = -1;
      for (let j = 0; j < this.length; j++)
        if (match(this.array[j])) {
          i = j;
          break;
        }
      if (i < 0) return;
      this.array.copyWithin(i, i + 1, this.length);
      this.length--;
    }
  }
  append(v: unknown): void {
    if (this.length < this.array.length) this.array[this.length] = v;
    this.length = this.length < this.array.length ? this.length + 1 : Number.MAX_SAFE_INTEGER; // full: Go copies to a new array
  }
  get items(): unknown[] {
    return this.array.slice(0, this.length);
  }
}

/** Items with `$patch`: delete takes matching items out, replace makes the patch the whole list. */
function withoutSpecialElements(view: GoSliceView, patch: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const p = v as Obj;
    if (!Object.hasOwn(p, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    switch (p[DIRECTIVE]) {
      case 'delete':
        if (!Object.hasOwn(p, mergeKey)) throw bad(`invalid patch: a $patch: delete item does not contain the merge key ${JSON.stringify(mergeKey)}`);
        view.deleteWhere((o) => {
          if (!isObj(o)) throw bad('invalid patch: a list merged by key has an item that is not an object');
          return o[mergeKey] === p[mergeKey];
        });
        break;
      case 'replace':
        replace = true;
        break;
      case 'merge':
        throw bad('merging lists cannot yet be specified in the patch');
      default:
        throw bad(`unknown patch type: ${JSON.stringify(p[DIRECTIVE])} in a list item (replace, merge or delete)`);
    }
  }
  return replace ? [removeDirectives(plain) as unknown[], []] : [view.items, plain];
}

/** Each patch item merged into the original item with its merge key, or appended. */
function mergeByKey(original: unknown[], patch: unknown[], mergeKey: string, items: SchemaNode, view: GoSliceView): unknown[] {
  const out = [...original];
  // first position of each key value: one lookup per patch item, not a scan of the list
  const at = new Map<unknown, number>();
  out.forEach((o, i) => {
    if (!isObj(o)) throw bad('invalid patch: a list merged by key has an item that is not an object');
    if (Object.hasOwn(o, mergeKey) && !at.has(o[mergeKey])) at.set(o[mergeKey], i);
  });
  for (const v of patch) {
    const p = v as Obj;
    if (!Object.hasOwn(p, mergeKey)) throw bad(`invalid patch: an item of a list merged by ${JSON.stringify(mergeKey)} does not contain it`);
    const i = at.get(p[mergeKey]);
    if (i !== undefined) out[i] = mergeMap(out[i] as Obj, p, items);
    else {
      at.set(p[mergeKey], out.length);
      discardNulls(p);
      out.push(removeDirectives(p));
      view.append(p);
    }
  }
  return out;
}

function partitionScalars(list: unknown[], by: unknown[]): [unknown[], unknown[]] {
  const inBy = new Set(by);
  return [list.filter((v) => inBy.has(v)), list.filter((v) => !inBy.has(v))];
}

function partitionMaps(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const keys = new Set(by.filter(isObj).map((b) => b[mergeKey]));
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of list) {
    if (!isObj(v) || !Object.hasOwn(v, mergeKey)) throw bad(`invalid patch: an item of a list merged by ${JSON.stringify(mergeKey)} does not contain it`);
    (keys.has(v[mergeKey]) ? inBy : rest).push(v);
  }
  return [inBy, rest];
}

const keyOf = (v: unknown, mergeKey: string) => (mergeKey && isObj(v) ? v[mergeKey] : v);

/** Positions by key (the first occurrence), for sorting by a reference order. */
function positions(order: unknown[], mergeKey: string): Map<unknown, number> {
  const m = new Map<unknown, number>();
  order.forEach((v, i) => {
    const k = keyOf(v, mergeKey);
    if (!m.has(k)) m.set(k, i);
  });
  return m;
}

/**
 * kube's normalizeElementOrder: the patch's items sorted by the patch order (deletions last), the
 * server-only items by the live order, then the two interleaved by the live order where both are
 * known (the patch's relative order wins).
 */
function normalizeElementOrder(patch: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string): unknown[] {
  const sortBy = (items: unknown[], order: unknown[]) => {
    const pos = positions(order, mergeKey);
    const keep = mergeKey ? items.filter((v) => !(isObj(v) && v[DIRECTIVE] === 'delete')) : items;
    const del = mergeKey ? items.filter((v) => isObj(v) && v[DIRECTIVE] === 'delete') : [];
    const idx = (v: unknown) => pos.get(keyOf(v, mergeKey)) ?? Number.MAX_SAFE_INTEGER;
    return [...keep.map((v, i) => [v, i] as const).sort((a, b) => idx(a[0]) - idx(b[0]) || a[1] - b[1]).map(([v]) => v), ...del];
  };
  const right = sortBy(patch, patchOrder);
  const left = sortBy(serverOnly, serverOrder);
  const server = positions(serverOrder, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = server.get(keyOf(left[i], mergeKey));
      const ri = server.get(keyOf(right[j], mergeKey));
      if (li !== undefined && ri !== undefined && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

const DROP = Symbol('drop');

/** The patch value as stored: maps that are `$patch` directives dropped, directive keys removed. */
function removeDirectives(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const y = removeDirectives(x);
      if (y !== DROP) out.push(y);
    }
    return out;
  }
  if (!isObj(v)) return v;
  if (Object.hasOwn(v, DIRECTIVE)) return DROP;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (isDirectiveKey(k)) continue;
    const y = removeDirectives(x);
    if (y !== DROP) put(out, k, y);
  }
  return out;
}

/** Null fields of a value that is added whole mean nothing (kube's discardNullValuesFromPatch). */
function discardNulls(v: unknown): void {
  if (Array.isArray(v)) for (const x of v) discardNulls(x);
  else if (isObj(v))
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else discardNulls(x);
    }
}
