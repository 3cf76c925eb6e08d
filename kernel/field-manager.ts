// metadata.managedFields: who owns which fields of an object, kept on every write as
// kube-apiserver keeps it (k8s.io/apimachinery managedfields + structured-merge-diff merge.Updater).
// An update (create, update, patch) gives its field manager the fields it changed, taken from the
// others; an apply (server-side apply) merges the applied configuration into the object, owns
// exactly the fields it applied, removes the fields it applied before and no longer does (unless
// another manager owns them), and fails with a 409 naming the managers and fields when it would
// change a value another manager owns, unless forced (then it takes them over).
import { FieldSet, fieldElement, pathString, type Path } from './field-set.ts';
import { compare, dropNulls, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, TypedValueError } from './field-typed.ts';
import { cloneJson, jsonEqual } from './json.ts';
import type { SchemaNode } from './patch-schema.ts';
import { OBJECT_META_FIELDS } from './schema/object-meta.ts';
import { errors, type StatusCause } from './status.ts';
import type { KObject } from './types.ts';
import { rfc3339 } from '@skiff/api';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** What the field manager needs to know about the write. */
export interface FieldManagerContext {
  /** the kind's schema (KindDefinition.schema) */
  schema: SchemaNode;
  /** the kind's group/version, as managedFields entries name it */
  apiVersion: string;
  kind: string;
  /** the subresource written ('' or undefined: the object itself) */
  subresource?: string;
  /** the kind has a status subresource: the object's writes leave status alone, status writes only status */
  hasStatus: boolean;
}

/** kube's DefaultMaxUpdateManagers: older Update entries are merged into one "ancient-changes" entry. */
export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';
/** kubectl apply's annotation (client-side apply) */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource: string;
  time?: string;
  set: FieldSet;
}

type Managers = Map<string, Manager>;

/** kube's BuildManagerIdentifier: an applier is the same manager whatever version it applied. */
function identifier(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Apply' ? '' : m.apiVersion, m.subresource]);
}

/** The fields kube never records (stripMeta): they are the server's or name the object. */
const STRIPPED = FieldSet.of(
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => ['f:metadata', fieldElement(f)]),
);
const STATUS = FieldSet.of(['f:status']);

/**
 * The fields a write may own: ObjectMeta's own fields only (the kernel drops others, as kube's typed
 * decode does), and status only through the status subresource (the strategies' reset fields).
 */
function owned(set: FieldSet, ctx: FieldManagerContext): FieldSet {
  const meta = set.children.get('f:metadata');
  if (meta && [...meta.members, ...meta.children.keys()].some((pe) => !OBJECT_META_FIELDS.has(pe.slice(2)))) {
    const drop = new FieldSet();
    for (const pe of [...meta.members, ...meta.children.keys()]) if (!OBJECT_META_FIELDS.has(pe.slice(2))) drop.insert(['f:metadata', pe]);
    set = set.recursiveDifference(drop);
  }
  if (!ctx.hasStatus) return set;
  if (ctx.subresource === 'status') return onlyStatus(set);
  return set.members.has('f:status') || set.children.has('f:status') ? set.recursiveDifference(STATUS) : set;
}

function onlyStatus(set: FieldSet): FieldSet {
  const out = new FieldSet();
  const st = set.children.get('f:status');
  if (set.members.has('f:status')) out.members.add('f:status');
  if (st) out.children.set('f:status', st);
  return out;
}


/** Decodes managedFields; throws an Error for a malformed list. */
function decode(entries: unknown): Managers {
  const out: Managers = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((e, i) => {
    if (!isObj(e)) throw new Error(`managedFields[${i}] must be an object`);
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (typeof e.apiVersion !== 'string' || !e.apiVersion) throw new Error('apiVersion must not be empty');
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    const m: Manager = {
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation,
      apiVersion: e.apiVersion,
      subresource: typeof e.subresource === 'string' ? e.subresource : '',
      time: typeof e.time === 'string' ? e.time : undefined,
      set: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
    };
    out.set(identifier(m), m);
  });
  return out;
}

/** managedFields as kube writes them: sorted by operation, time, manager, apiVersion, subresource. */
function encode(managers: Managers): ManagedFieldsEntry[] | undefined {
  const list = [...managers.values()].filter((m) => !m.set.empty);
  if (!list.length) return undefined;
  const secs = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);
  list.sort(
    (p, q) =>
      cmp(p.operation, q.operation) || secs(p.time) - secs(q.time) || cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource, q.subresource),
  );
  return list.map((m) => {
    const e: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion, time: m.time, fieldsType: 'FieldsV1', fieldsV1: m.set.toFieldsV1() };
    if (m.time === undefined) delete e.time;
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The part of an object a write may own (what `owned` keeps): status alone for the status subresource, all but status otherwise. */
function relevant(o: Obj, ctx: FieldManagerContext): Obj {
  if (!ctx.hasStatus) return o;
  if (ctx.subresource === 'status') return o.status === undefined ? {} : { status: o.status };
  if (o.status === undefined) return o;
  const { status: _s, ...rest } = o;
  return rest;
}

/** The object as server-side apply compares it: without managedFields. */
function body(obj: KObject | Obj): Obj {
  const meta = isObj(obj.metadata) ? { ...obj.metadata } : {};
  delete meta.managedFields;
  return { ...obj, metadata: meta };
}

/** The managers a write starts from: the request's own managedFields when it sets them (a reset when empty), else the live object's. */
function startingManagers(live: KObject | undefined, next: KObject, subresource: string | undefined): Managers {
  const fromLive = () => {
    try {
      return decode(live?.metadata.managedFields);
    } catch {
      return new Map() as Managers;
    }
  };
  if (subresource) return fromLive();
  const mf = next.metadata.managedFields;
  if (Array.isArray(mf) && (mf.length === 0 || (mf.length === 1 && isObj(mf[0]) && Object.keys(mf[0]).length === 0))) return new Map();
  if (mf === undefined) return fromLive();
  try {
    const m = decode(mf);
    return m.size ? m : fromLive();
  } catch {
    return fromLive();
  }
}

interface Conflict {
  manager: Manager;
  path: Path;
}

/**
 * Ownership after a change from `before` to `after` (SMD Updater.update): every manager but `self`
 * loses the fields that were removed; fields another manager owns whose value changed are
 * conflicts: returned (not applied) unless `force`, then taken from it. `changed`: the fields the
 * change set (modified or added) that a write may own.
 */
function transfer(before: Obj, after: Obj, managers: Managers, self: string, force: boolean, ctx: FieldManagerContext) {
  const c = compare(relevant(before, ctx), relevant(after, ctx), ctx.schema);
  const changed = owned(c.modified.union(c.added), ctx);
  const removed = owned(c.removed, ctx);
  const conflicts: Conflict[] = [];
  for (const [id, m] of managers) {
    if (id === self) continue;
    const clash = m.set.intersection(changed);
    if (!clash.empty) for (const path of clash.paths()) conflicts.push({ manager: m, path });
  }
  if (conflicts.length && !force) return { conflicts, changed };
  for (const [id, m] of managers) {
    if (id === self) continue;
    m.set = m.set.difference(changed).difference(removed);
    if (m.set.empty) managers.delete(id);
  }
  return { conflicts: [] as Conflict[], changed };
}

/** kube's capManagers: at most MAX_UPDATE_MANAGERS Update entries; the oldest merge into one per version. */
function capManagers(managers: Managers): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  const secs = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);
  updaters.sort(([ia, a], [ib, b]) => secs(a.time) - secs(b.time) || cmp(ia, ib));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (const [id, m] of updaters) {
    if (length <= MAX_UPDATE_MANAGERS) break;
    const bucket: Manager = { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: m.apiVersion, subresource: '', set: new FieldSet() };
    const bucketId = identifier(bucket);
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, id);
      continue;
    }
    if (!managers.has(bucketId)) {
      const f = managers.get(first)!;
      managers.delete(first);
      managers.set(bucketId, { ...bucket, set: f.set, time: f.time });
    }
    const b = managers.get(bucketId)!;
    b.set = m.set.union(b.set);
    b.time = m.time;
    managers.delete(id);
    length--;
  }
}

/**
 * managedFields for an update (create: `live` undefined) by `manager`: it owns what it changed.
 * Returns `next` with its managedFields set. Never fails: a value the schema cannot follow keeps
 * the live object's managedFields (kube's UpdateNoErrors).
 */
export function trackUpdate(live: KObject | undefined, next: KObject, manager: string | undefined, ctx: FieldManagerContext): KObject {
  const requested = next.metadata.managedFields;
  const after = body(next);
  const before = live ? body(live) : { apiVersion: next.apiVersion, kind: next.kind, metadata: {} };
  // the common case, fast: nothing the writer may own changed and it did not set managedFields
  if (live && (requested === undefined || ctx.subresource || jsonEqual(requested, live.metadata.managedFields)) && jsonEqual(relevant(before, ctx), relevant(after, ctx))) {
    return withManagedFields(next, live.metadata.managedFields as ManagedFieldsEntry[] | undefined);
  }
  const managers = startingManagers(live, next, ctx.subresource);
  try {
    const selfM: Manager = { manager: manager || 'unknown', operation: 'Update', apiVersion: ctx.apiVersion, subresource: ctx.subresource ?? '', set: new FieldSet() };
    const self = identifier(selfM);
    const current = 'current-operation'; // not a JSON identifier: never a manager's
    const set = transfer(before, after, managers, current, true, ctx).changed.difference(STRIPPED);
    if (!set.empty) {
      const prev = managers.get(self);
      managers.set(self, { ...selfM, set: prev ? set.union(prev.set) : set, time: rfc3339() });
    }
    capManagers(managers);
  } catch (e) {
    if (!(e instanceof TypedValueError)) throw e;
    return withManagedFields(next, live?.metadata.managedFields as ManagedFieldsEntry[] | undefined);
  }
  return withManagedFields(next, encode(managers));
}

function withManagedFields(obj: KObject, mf: ManagedFieldsEntry[] | undefined): KObject {
  if (mf) obj.metadata.managedFields = mf;
  else delete obj.metadata.managedFields;
  return obj;
}

export interface ApplyOptions {
  fieldManager: string;
  force: boolean;
}

/**
 * Server-side apply of `config` to `live` (for a create: an object with only apiVersion, kind and
 * metadata): the merged object, with its managedFields. Throws a 409 on conflicts (unless forced),
 * 400 for a configuration of another version or with managedFields, 422 for one the schema cannot
 * take (a keyed list item without its key, duplicate keys).
 */
export function applyConfiguration(live: KObject, config: unknown, opts: ApplyOptions, ctx: FieldManagerContext): KObject {
  if (!isObj(config)) throw errors.badRequest('the apply configuration must be an object');
  if (config.apiVersion !== ctx.apiVersion || config.kind !== ctx.kind) {
    if (typeof config.apiVersion !== 'string' || !config.apiVersion || typeof config.kind !== 'string' || !config.kind)
      throw errors.badRequest('the apply configuration must set apiVersion and kind');
    throw errors.badRequest(`Incorrect version specified in apply patch. Specified patch version: ${String(config.apiVersion)}, expected: ${ctx.apiVersion}`);
  }
  if (isObj(config.metadata) && config.metadata.managedFields !== undefined && config.metadata.managedFields !== null) throw errors.badRequest('metadata.managedFields must be nil');
  let managers: Managers;
  try {
    managers = decode(live.metadata.managedFields);
  } catch {
    managers = new Map();
  }
  try {
    return apply(live, config, managers, opts, ctx);
  } catch (e) {
    if (!(e instanceof TypedValueError)) throw e;
    throw errors.invalid({ group: '', resource: '', kind: ctx.kind }, String((isObj(config.metadata) && config.metadata.name) || ''), [
      { reason: e.message.startsWith('duplicate') ? 'FieldValueDuplicate' : 'FieldValueInvalid', message: e.message, field: e.field },
    ]);
  }
}

function apply(live: KObject, config: Obj, managers: Managers, opts: ApplyOptions, ctx: FieldManagerContext): KObject {
  const selfM: Manager = { manager: opts.fieldManager, operation: 'Apply', apiVersion: ctx.apiVersion, subresource: ctx.subresource ?? '', set: new FieldSet() };
  const self = identifier(selfM);
  const before = body(live);
  const configSet = owned(toFieldSet(config, ctx.schema), ctx);
  const lastSet = managers.get(self)?.set;
  const previous = managers.get(self);
  managers.set(self, { ...selfM, set: configSet, time: previous?.time });
  let merged = merge(before, config, ctx.schema) as Obj;
  merged = prune(merged, managers, lastSet, ctx);
  let t = transfer(before, merged, managers, self, opts.force, ctx);
  if (t.conflicts.length && opts.fieldManager === 'kubectl') {
    // kubectl's own server-side apply may take over what its client-side apply (the
    // last-applied-configuration annotation) set and nobody changed since (kube's lastAppliedManager)
    const allowed = allowedFromLastApplied(live, ctx);
    if (allowed && t.conflicts.every((c) => allowed.has(c.path))) t = transfer(before, merged, managers, self, true, ctx);
  }
  if (t.conflicts.length) throw conflictError(t.conflicts);
  const m = managers.get(self)!;
  m.set = m.set.difference(STRIPPED);
  if (m.set.empty) managers.delete(self);
  let out = dropNulls(merged) as KObject;
  if (!jsonEqual(out, dropNulls(before))) m.time = rfc3339();
  else out = before as KObject;
  if (opts.fieldManager === 'kubectl') out = syncLastApplied(out, config);
  capManagers(managers);
  return withManagedFields(out, encode(managers));
}

/** SMD prune: what the applier applied last time and no longer does goes, unless another manager owns it. */
function prune(merged: Obj, managers: Managers, lastSet: FieldSet | undefined, ctx: FieldManagerContext): Obj {
  if (!lastSet || lastSet.empty) return merged;
  const s = ctx.schema;
  const last = ensureNamedFieldsAreMembers(lastSet, s);
  let pruned = (removeItems(merged, last, s) ?? {}) as Obj;
  // add back what any manager (the applier's new configuration included) owns
  let managed = new FieldSet();
  for (const m of managers.values()) managed = managed.union(m.set);
  const mergedSet = ensureNamedFieldsAreMembers(toFieldSet(merged, s), s);
  const prunedSet = ensureNamedFieldsAreMembers(toFieldSet(pruned, s), s);
  pruned = (removeItems(merged, mergedSet.difference(prunedSet.union(ensureNamedFieldsAreMembers(managed, s))), s) ?? {}) as Obj;
  // and what the applier never owned (unowned or updaters' fields removed with a parent)
  const prunedSet2 = ensureNamedFieldsAreMembers(toFieldSet(pruned, s), s);
  return (removeItems(merged, mergedSet.difference(prunedSet2).intersection(last), s) ?? {}) as Obj;
}

/** The fields of kubectl's last-applied-configuration that the live object still has as applied. */
function allowedFromLastApplied(live: KObject, ctx: FieldManagerContext): FieldSet | undefined {
  const raw = live.metadata.annotations?.[LAST_APPLIED];
  if (typeof raw !== 'string' || !raw) return undefined;
  try {
    const last = JSON.parse(raw) as unknown;
    if (!isObj(last) || last.apiVersion !== ctx.apiVersion) return undefined;
    const c = compare(last, body(live), ctx.schema);
    return toFieldSet(last, ctx.schema).difference(c.modified).difference(c.added).difference(c.removed);
  } catch {
    return undefined;
  }
}

/** kubectl's server-side apply keeps an existing last-applied-configuration annotation in step (kube's lastAppliedUpdater). */
function syncLastApplied(obj: KObject, config: Obj): KObject {
  const ann = obj.metadata.annotations;
  if (!ann || typeof ann[LAST_APPLIED] !== 'string') return obj;
  const copy = cloneJson(config);
  if (isObj(copy.metadata) && isObj(copy.metadata.annotations)) delete copy.metadata.annotations[LAST_APPLIED];
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...ann, [LAST_APPLIED]: JSON.stringify(copy) } } };
}

function printManager(m: Manager): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** kube's apply conflict: 409 Conflict, a FieldManagerConflict cause per field. */
function conflictError(conflicts: Conflict[]) {
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  else {
    const byManager = new Map<string, { m: Manager; paths: Path[] }>();
    for (const c of conflicts) {
      const k = printManager(c.manager);
      const e = byManager.get(k) ?? { m: c.manager, paths: [] };
      e.paths.push(c.path);
      byManager.set(k, e);
    }
    const parts: string[] = [];
    for (const k of [...byManager.keys()].sort()) {
      parts.push(`conflicts with ${k}:`);
      for (const p of byManager.get(k)!.paths) parts.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${parts.join('\n')}`;
  }
  return errors.applyConflict(message, causes);
}
