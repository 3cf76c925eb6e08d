// What happens to an object on create, update, patch and delete: the system metadata Kubernetes
// owns (uid, creationTimestamp, generation, deletionTimestamp), admission, the status subresource
// split, namespaces, finalizers and graceful deletion — ending in ONE compare-and-set write to the
// KV store, so a request either lands whole or not at all.
import { randomUUID } from 'node:crypto';
import type { AdmissionChain } from './admission/chain.ts';
import { cloneJson, jsonEqual } from './json.ts';
import { applyConfiguration, trackUpdate, type FieldManagerContext } from './field-manager.ts';
import { applyPatch } from './patch.ts';
import { GENERATE_NAME_TRIES, generatedName } from './generate-name.ts';
import { scaleChange, toScale, withScaleReplicas } from './scale.ts';
import type { KindDefinition } from './schema/kind-definition.ts';
import { pruneObjectMeta } from './schema/object-meta.ts';
import { objectSchema } from './schema/patch-meta.ts';
import type { StatusCause } from './status.ts';
import { errors } from './status.ts';
import type { ObjectCodec } from './store/codec.ts';
import { objectKey, resourcePrefix } from './store/keys.ts';
import { RevisionMismatch, type KvBackend } from './store/kv-backend.ts';
import type { WatchCache } from './store/watch-cache.ts';
import type { AdmissionOperation, DeleteOptions, KindInfo, KObject, PatchType, WriteOptions } from './types.ts';
import { rfc3339 } from '@skiff/api';

/** What the lifecycle needs to know about kinds. */
export interface KindLookup {
  byResource(group: string, version: string, resource: string): KindDefinition | undefined;
  info(def: KindDefinition): KindInfo;
  validate(def: KindDefinition, obj: KObject, old?: KObject): StatusCause[];
}

const MAX_RETRIES = 16;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export function now(offsetSeconds = 0): string {
  return rfc3339(Date.now() + offsetSeconds * 1000);
}

const sameSpec = (def: KindDefinition, a: KObject, b: KObject) => (def.specFields ?? ['spec']).every((f) => jsonEqual(a[f], b[f]));
const isNamespaceKind = (def: KindDefinition) => def.group === '' && def.resource === 'namespaces';
/** Namespaces that can never be deleted (kube-apiserver's immortal namespaces). */
export const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const NO_SCHEMA = { default: () => {}, validate: () => [] };
const hasStatus = (def: KindDefinition) => (def.subresources ?? []).includes('status');

/** The schema of kinds that have none: ObjectMeta's patch metadata, maps merged, lists atomic. */
const DEFAULT_SCHEMA = objectSchema();

/** What managedFields tracking needs to know about a write of `def` (or of its subresource). */
function fieldContext(def: KindDefinition, subresource: string | undefined): FieldManagerContext {
  return { schema: def.schema ?? DEFAULT_SCHEMA, apiVersion: def.group ? `${def.group}/${def.version}` : def.version, kind: def.kind, subresource: subresource || undefined, hasStatus: hasStatus(def) };
}

/** A write whose managedFields are already decided (server-side apply): not tracked as an update. */
interface Internal {
  applied?: boolean;
}

/** A no-op write decided on a cached read: read the store and decide again. */
const STALE_NOOP = Symbol('stale no-op');

export class ObjectLifecycle {
  constructor(
    private readonly backend: KvBackend,
    private readonly cache: WatchCache,
    private readonly codec: ObjectCodec,
    private readonly registry: KindLookup,
    private readonly admission: AdmissionChain,
  ) {}

  private key(def: KindDefinition, ns: string | undefined, name: string): string {
    return objectKey(def.group, def.resource, def.namespaced ? ns : undefined, name);
  }

  /** The current object: from the cache, or (fresh) straight from the store. Copies, never shared. */
  async read(def: KindDefinition, ns: string | undefined, name: string, fresh: boolean): Promise<KObject | undefined> {
    if (def.namespaced && !ns) throw errors.badRequest('a namespace is required for ' + def.resource);
    const key = this.key(def, ns, name);
    if (!fresh) {
      const c = this.cache.get(resourcePrefix(def.group, def.resource), key);
      if (c) return asServed(def, cloneJson(c));
    }
    const e = await this.backend.get(key);
    if (!e || e.deleted) return undefined;
    return asServed(def, this.codec.decode(e.value, e.revision));
  }

  /** The stored form: in the kind's storage version (conversion None rewrites apiVersion only). */
  private encode(def: KindDefinition, obj: KObject) {
    const stored = def.storageVersion && def.storageVersion !== def.version ? { ...obj, apiVersion: `${def.group}/${def.storageVersion}` } : obj;
    return this.codec.encode(stored, def.encrypted === true);
  }

  private checkShape(def: KindDefinition, obj: unknown): asserts obj is KObject {
    if (!isObj(obj)) throw errors.badRequest('the request body must be a JSON object');
    if (!isObj(obj.metadata)) {
      if (obj.metadata === undefined) obj.metadata = {};
      else throw errors.badRequest('metadata must be an object');
    }
    const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
      throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== def.kind) {
      throw errors.badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${def.kind})`);
    }
    obj.apiVersion = apiVersion;
    obj.kind = def.kind;
  }

  private async admit(def: KindDefinition, op: AdmissionOperation, obj: KObject, old: KObject | undefined, opts: WriteOptions | DeleteOptions): Promise<KObject> {
    const info = this.registry.info(def);
    const subresource = 'subresource' in opts ? opts.subresource : undefined;
    // a binding changes a stored (valid) pod only by nodeName (checked by bind) and a condition the
    // kernel writes: like kube-apiserver, admission handlers see it, the pod is not validated again
    const schema = subresource === 'binding' ? NO_SCHEMA : { default: (o: KObject) => (pruneObjectMeta(o), def.default?.(o)), validate: (o: KObject, old?: KObject) => this.registry.validate(def, o, old) };
    return this.admission.admit({ operation: op, kind: info, object: obj, oldObject: old, dryRun: opts.dryRun === true, subresource }, schema);
  }

  /** revision of this kernel's last namespace write: the namespace check reads its own writes */
  private namespaceWriteRev = 0;

  private wrote(def: KindDefinition, rev: number): number {
    if (isNamespaceKind(def)) this.namespaceWriteRev = rev;
    return rev;
  }

  /** Namespaced objects need a namespace that exists and is not terminating. */
  private async checkNamespace(ns: string): Promise<void> {
    const nsDef = this.registry.byResource('', 'v1', 'namespaces')!;
    if (this.namespaceWriteRev > this.cache.revision) await this.cache.waitFor(this.namespaceWriteRev);
    let nsObj = this.cache.get(resourcePrefix('', 'namespaces'), objectKey('', 'namespaces', undefined, ns));
    if (!nsObj) {
      await this.cache.sync();
      nsObj = this.cache.get(resourcePrefix('', 'namespaces'), objectKey('', 'namespaces', undefined, ns));
    }
    if (!nsObj) throw errors.notFound(nsDef, ns);
    if (nsObj.metadata.deletionTimestamp) {
      const message = `unable to create new content in namespace ${ns} because it is being terminated`;
      throw errors.forbidden(message, { name: ns, kind: 'namespaces', causes: [{ reason: 'NamespaceTerminating', message, field: 'metadata.namespace' }] });
    }
  }

  async create(def: KindDefinition, input: KObject, opts: WriteOptions, internal: Internal = {}): Promise<KObject> {
    if (opts.subresource === 'binding' && (def.subresources ?? []).includes('binding')) return this.bind(def, input, opts);
    if (opts.subresource) throw errors.methodNotAllowed(`create is not allowed on ${def.resource}/${opts.subresource}`);
    this.checkShape(def, input);
    const obj = cloneJson(input);
    const m = obj.metadata;
    if (!def.namespaced) delete m.namespace;
    else if (!m.namespace) throw errors.badRequest('the namespace of the object is not set');
    const generated = !m.name && typeof m.generateName === 'string' && m.generateName !== '';
    if (generated) m.name = generatedName(m.generateName as string);
    m.uid = randomUUID();
    m.creationTimestamp = now();
    m.generation = 1;
    for (const f of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'] as const) delete m[f];
    if (hasStatus(def) && !def.keepStatusOnCreate) delete obj.status;
    const requested = m.managedFields;
    let admitted = await this.admit(def, 'CREATE', obj, undefined, opts);
    // the creator owns what it set, defaults included (kube defaults on decode, before its field manager)
    admitted.metadata.managedFields = requested;
    if (!internal.applied) admitted = trackUpdate(undefined, admitted, opts.fieldManager, fieldContext(def, undefined));
    else if (requested === undefined) delete admitted.metadata.managedFields;
    if (def.namespaced) await this.checkNamespace(admitted.metadata.namespace!);
    if (opts.dryRun) return admitted;
    for (let attempt = 1; ; attempt++) {
      const name = admitted.metadata.name!;
      try {
        const rev = this.wrote(def, await this.backend.create(this.key(def, admitted.metadata.namespace, name), this.encode(def, admitted)));
        admitted.metadata.resourceVersion = String(rev);
        return admitted;
      } catch (e) {
        if (!(e instanceof RevisionMismatch)) throw e;
        // a generated name that is taken: another one (the name was not the client's choice)
        if (generated && attempt < GENERATE_NAME_TRIES && admitted.metadata.generateName === m.generateName) {
          admitted.metadata.name = generatedName(m.generateName as string);
          continue;
        }
        throw errors.alreadyExists(def, name);
      }
    }
  }

  async update(def: KindDefinition, input: KObject, opts: WriteOptions): Promise<KObject> {
    if (opts.subresource === 'scale') {
      const meta = isObj(input) && isObj(input.metadata) ? input.metadata : {};
      if (typeof meta.name !== 'string' || !meta.name) throw errors.badRequest('metadata.name is required');
      return this.writeScale(def, meta.namespace as string | undefined, meta.name, () => input, false, opts);
    }
    this.checkShape(def, input);
    const name = input.metadata.name;
    if (typeof name !== 'string' || !name) throw errors.badRequest('metadata.name is required');
    const wanted = input.metadata.resourceVersion;
    if (wanted !== undefined && !/^\d+$/.test(String(wanted))) {
      throw errors.badRequest(`invalid resourceVersion "${String(wanted)}"`);
    }
    return this.retry(def, input.metadata.namespace, name, wanted !== undefined, (cur) => {
      if (wanted !== undefined && String(wanted) !== cur.metadata.resourceVersion) return 'conflict';
      return cloneJson(input);
    }, opts);
  }

  async patch(def: KindDefinition, ns: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOptions): Promise<KObject> {
    if (opts.subresource === 'scale') return this.writeScale(def, ns, name, (scale) => applyPatch(scale, type === 'apply' ? 'merge' : type, patch), true, opts);
    if (type === 'apply') return this.apply(def, ns, name, patch, opts);
    let conditional = false;
    const schema = def.schema ?? DEFAULT_SCHEMA;
    return this.retry(def, ns, name, () => conditional, (cur) => {
      const next = applyPatch(cur, type, patch, schema);
      if (!isObj(next) || !isObj(next.metadata)) throw errors.badRequest('the patch removed metadata');
      const rv = next.metadata.resourceVersion;
      if (rv !== cur.metadata.resourceVersion) {
        conditional = true; // the patch names a resourceVersion: a precondition
        if (rv !== undefined) return 'conflict';
      }
      return next;
    }, opts);
  }

  /**
   * Server-side apply: the configuration merged into the object by its field manager (field-manager.ts),
   * or an object created from it when there is none. A resourceVersion in the configuration is a
   * precondition.
   */
  private async apply(def: KindDefinition, ns: string | undefined, name: string, config: unknown, opts: WriteOptions): Promise<KObject> {
    const fieldManager = opts.fieldManager;
    if (!fieldManager) {
      throw errors.invalid({ group: 'meta.k8s.io', resource: '', kind: 'PatchOptions' }, '', [{ reason: 'FieldValueRequired', message: 'is required for apply patch', field: 'fieldManager' }]);
    }
    if (!isObj(config)) throw errors.badRequest('the apply configuration must be a JSON or YAML object');
    const meta = config.metadata;
    if (meta !== undefined && meta !== null && !isObj(meta)) throw errors.badRequest('metadata must be an object');
    if (isObj(meta)) {
      if (meta.name !== undefined && meta.name !== name) throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
      if (def.namespaced && meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== ns) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const ctx = fieldContext(def, opts.subresource);
    const applyOpts = { fieldManager, force: opts.force === true };
    const wanted = isObj(meta) ? meta.resourceVersion : undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.retry(def, ns, name, wanted !== undefined, (cur) => {
          if (wanted !== undefined && String(wanted) !== cur.metadata.resourceVersion) return 'conflict';
          return applyConfiguration(cur, config, applyOpts, ctx);
        }, opts, { applied: true });
      } catch (e) {
        if ((e as { code?: number }).code !== 404 || opts.subresource || wanted !== undefined || attempt > 0) throw e;
      }
      // no such object: create it from the configuration
      const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
      const skeleton = { apiVersion, kind: def.kind, metadata: def.namespaced ? { name, namespace: ns } : { name } } as KObject;
      const obj = applyConfiguration(skeleton, config, applyOpts, ctx);
      try {
        return await this.create(def, obj, opts, { applied: true });
      } catch (e) {
        if ((e as { code?: number }).code !== 409) throw e; // created meanwhile: apply to it
      }
    }
  }

  /**
   * The scale subresource: `change` turns the parent's current Scale into the one the client wants
   * (the body of a PUT, or the Scale with a patch applied); only the parent's spec.replicas is
   * written. A resourceVersion in the wanted Scale is a precondition (for a patch: one the patch
   * set). Answers the Scale of the parent as written.
   */
  private async writeScale(def: KindDefinition, ns: string | undefined, name: string, change: (scale: KObject) => unknown, isPatch: boolean, opts: WriteOptions): Promise<KObject> {
    if (!(def.subresources ?? []).includes('scale')) {
      throw errors.noSuchResource(`the server could not find the requested resource (subresource scale of ${def.resource})`);
    }
    let conditional = false;
    const parent = await this.retry(def, ns, name, () => conditional, (cur) => {
      const old = toScale(def, cur);
      const wanted = scaleChange(def, change(old), cur);
      const rv = wanted.resourceVersion;
      conditional = rv !== undefined && (!isPatch || rv !== old.metadata.resourceVersion);
      if (rv !== undefined && rv !== cur.metadata.resourceVersion) return 'conflict';
      return { ...withScaleReplicas(def, cur, wanted.replicas), metadata: { ...cur.metadata } };
    }, { ...opts, subresource: 'scale' });
    return toScale(def, parent);
  }

  /**
   * Read-modify-write with compare-and-set, retried on a lost race unless the caller's request was
   * conditional on a resourceVersion (then a lost race is the caller's 409).
   */
  private async retry(
    def: KindDefinition,
    ns: string | undefined,
    name: string,
    conditional: boolean | (() => boolean),
    change: (cur: KObject) => KObject | 'conflict',
    opts: WriteOptions,
    internal: Internal = {},
  ): Promise<KObject> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const cur = await this.read(def, def.namespaced ? ns : undefined, name, attempt > 0);
      if (!cur) throw errors.notFound(def, name);
      const next = change(cur);
      if (next === 'conflict') {
        if (attempt === 0) continue; // the cache may be behind: check against the store itself
        throw errors.conflict(def, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      try {
        return await this.write(def, cur, next, opts, attempt > 0, internal);
      } catch (e) {
        if (e === STALE_NOOP) continue; // the next attempt reads the store itself
        if (!(e instanceof RevisionMismatch)) throw e;
        const isConditional = typeof conditional === 'function' ? conditional() : conditional;
        if (isConditional) throw errors.conflict(def, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
    }
    throw errors.conflict(def, name, 'too many concurrent writers; try again');
  }

  /** Apply update rules to `desired` against `cur` and CAS-write it (or finish a deletion). */
  private async write(def: KindDefinition, cur: KObject, desired: KObject, opts: WriteOptions, fresh = true, internal: Internal = {}): Promise<KObject> {
    this.checkShape(def, desired);
    const sub = opts.subresource;
    const requested = desired.metadata.managedFields;
    if (sub && !(def.subresources ?? []).includes(sub)) {
      throw errors.noSuchResource(`the server could not find the requested resource (subresource ${sub} of ${def.resource})`);
    }
    let next: KObject;
    if (sub === 'status') {
      next = { ...cur, metadata: { ...cur.metadata }, status: desired.status }; // only metadata is changed below
    } else if (sub === 'finalize') {
      // namespaces/finalize: only spec.finalizers changes
      next = { ...cur, metadata: { ...cur.metadata }, spec: { ...(isObj(cur.spec) ? cur.spec : {}), finalizers: isObj(desired.spec) ? desired.spec.finalizers : undefined } };
    } else if (sub === 'ephemeralcontainers') {
      // pods/ephemeralcontainers: only spec.ephemeralContainers changes (the pod kind's validation allows additions only)
      const spec = isObj(desired.spec) ? desired.spec : {};
      next = { ...cur, metadata: { ...cur.metadata }, spec: { ...(isObj(cur.spec) ? cur.spec : {}), ephemeralContainers: spec.ephemeralContainers } };
      if (next.spec && (next.spec as Record<string, unknown>).ephemeralContainers === undefined) delete (next.spec as Record<string, unknown>).ephemeralContainers;
    } else if (sub === 'binding' || sub === 'scale') {
      next = desired; // built from the current object by bind() (spec.nodeName, PodScheduled) or writeScale() (spec.replicas)
    } else if (sub !== undefined && sub !== '') {
      throw errors.noSuchResource(`the server could not find the requested resource (subresource ${sub} of ${def.resource})`);
    } else {
      next = desired;
      if (hasStatus(def)) next.status = cur.status;
      if (next.status === undefined) delete next.status;
    }
    const m = next.metadata;
    const cm = cur.metadata;
    if (def.namespaced && m.namespace === undefined) m.namespace = cm.namespace;
    if (!def.namespaced) delete m.namespace;
    // fields the server owns
    m.generation = cm.generation;
    m.deletionTimestamp = cm.deletionTimestamp;
    m.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
    m.resourceVersion = cm.resourceVersion;
    if (m.uid === undefined || m.uid === '') m.uid = cm.uid;
    // kube-apiserver's BeforeUpdate: a changed creationTimestamp is ignored, not refused (clients
    // that parse it as a date send it back in another form: client-node's "...:07.000Z")
    if (cm.creationTimestamp !== undefined || m.creationTimestamp === undefined) m.creationTimestamp = cm.creationTimestamp;
    for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) if (m[f] === undefined) delete m[f];
    if (!sameSpec(def, next, cur)) m.generation = (cm.generation ?? 0) + 1;
    // managedFields: the writer owns what it changed (decided again after admission, below); an
    // apply decided them already
    const ctx = fieldContext(def, sub);
    const track = (o: KObject) => {
      o.metadata.managedFields = requested;
      if (internal.applied) {
        if (requested === undefined) delete o.metadata.managedFields;
        return o;
      }
      return trackUpdate(cur, o, opts.fieldManager, ctx);
    };
    next = track(next);
    if (sub !== 'binding' && jsonEqual(next, cur)) {
      // no-op: no write, same resourceVersion — but only the store can say `cur` is the latest
      // (the cache may not have seen a write that was just acknowledged)
      if (!fresh) throw STALE_NOOP;
      return cur;
    }
    const decided = next.metadata.managedFields;
    let admitted = await this.admit(def, 'UPDATE', next, cur, opts);
    if (internal.applied) {
      if (decided === undefined) delete admitted.metadata.managedFields;
      else admitted.metadata.managedFields = decided;
    } else admitted = track(admitted);
    if (opts.dryRun) return admitted;
    const key = this.key(def, cm.namespace, cm.name!);
    const rev0 = Number(cm.resourceVersion);
    if (admitted.metadata.deletionTimestamp && pendingFinalizers(def, admitted).length === 0) {
      const rev = this.wrote(def, await this.backend.delete(key, this.encode(def, admitted), rev0));
      admitted.metadata.resourceVersion = String(rev);
      return admitted;
    }
    const rev = this.wrote(def, await this.backend.update(key, this.encode(def, admitted), rev0));
    admitted.metadata.resourceVersion = String(rev);
    return admitted;
  }

  /**
   * pods/binding: set spec.nodeName and the PodScheduled=True condition in one write, as the
   * scheduler's bind does in Kubernetes. 409 when the pod is already bound or being deleted.
   */
  private async bind(def: KindDefinition, binding: KObject, opts: WriteOptions): Promise<KObject> {
    if (!isObj(binding) || !isObj(binding.metadata)) throw errors.badRequest('the request body must be a Binding object');
    const name = binding.metadata.name;
    const target = isObj(binding.target) ? binding.target.name : undefined;
    if (typeof name !== 'string' || !name) throw errors.badRequest('metadata.name of the Binding (the pod name) is required');
    if (typeof target !== 'string' || !target) {
      throw errors.invalid({ group: '', resource: 'bindings', kind: 'Binding' }, name, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }]);
    }
    const uid = binding.metadata.uid;
    return this.retry(def, binding.metadata.namespace, name, false, (cur) => {
      const spec = (isObj(cur.spec) ? cur.spec : {}) as Record<string, unknown>;
      if (uid && uid !== cur.metadata.uid) throw errors.conflict(def, name, `the UID in the binding (${uid}) does not match the pod's (${cur.metadata.uid})`);
      if (spec.nodeName) throw errors.conflict(def, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
      if (cur.metadata.deletionTimestamp) throw errors.conflict(def, name, `pod ${name} is being deleted, cannot be assigned to a node`);
      // copies along the changed path only: `cur` is this request's own copy and stays as read
      const status = (isObj(cur.status) ? cur.status : {}) as Record<string, unknown>;
      const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isObj(c) && c.type === 'PodScheduled'));
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now() });
      return { ...cur, metadata: { ...cur.metadata }, spec: { ...spec, nodeName: target }, status: { ...status, conditions } };
    }, { ...opts, subresource: 'binding' });
  }

  async delete(def: KindDefinition, ns: string | undefined, name: string, opts: DeleteOptions): Promise<KObject> {
    if (isNamespaceKind(def) && IMMORTAL_NAMESPACES.has(name)) {
      // as kube-apiserver's NamespaceLifecycle admission: the cluster's own namespaces stay
      throw errors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const cur = await this.read(def, def.namespaced ? ns : undefined, name, attempt > 0);
      if (!cur) throw errors.notFound(def, name);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== cur.metadata.uid) {
        throw errors.conflict(def, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
        if (attempt === 0) continue;
        throw errors.conflict(def, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${cur.metadata.resourceVersion}`);
      }
      await this.admit(def, 'DELETE', cur, cur, opts);
      const next = cloneJson(cur);
      const m = next.metadata;
      const policy = opts.propagationPolicy;
      const gcFinalizer = policy === 'Orphan' ? 'orphan' : policy === 'Foreground' ? 'foregroundDeletion' : undefined;
      if (gcFinalizer && !(m.finalizers ?? []).includes(gcFinalizer)) m.finalizers = [...(m.finalizers ?? []), gcFinalizer];
      const grace = this.gracePeriod(def, cur, opts);
      const key = this.key(def, m.namespace, name);
      const rev0 = Number(cur.metadata.resourceVersion);
      try {
        if (pendingFinalizers(def, next).length > 0 || grace > 0) {
          // graceful: mark for deletion; finalizers' owners (or the node, for a pod) finish it
          if (m.deletionTimestamp && jsonEqual(next, cur)) {
            if (attempt === 0) continue; // answer from the store's copy, not the cache's
            return cur;
          }
          m.deletionTimestamp ??= now(grace);
          m.deletionGracePeriodSeconds ??= grace;
          def.deletion?.onMarked?.(next);
          if (opts.dryRun) return next;
          const rev = this.wrote(def, await this.backend.update(key, this.encode(def, next), rev0));
          m.resourceVersion = String(rev);
          return next;
        }
        if (opts.dryRun) return cur;
        const rev = this.wrote(def, await this.backend.delete(key, this.encode(def, next), rev0));
        m.resourceVersion = String(rev);
        return next;
      } catch (e) {
        if (!(e instanceof RevisionMismatch)) throw e;
        if (pre?.resourceVersion) throw errors.conflict(def, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
    }
    throw errors.conflict(def, name, 'too many concurrent writers; try again');
  }

  /** How long the object stays marked before it goes: its kind decides (a Pod on a node ends gracefully). */
  private gracePeriod(def: KindDefinition, cur: KObject, opts: DeleteOptions): number {
    return Math.max(0, def.deletion?.gracePeriodSeconds?.(cur, opts.gracePeriodSeconds) ?? 0);
  }

}

/** An object read from the store as `def`'s version serves it (kinds stored in another version: apiVersion rewritten, in place). */
export function asServed(def: KindDefinition, obj: KObject): KObject {
  if (def.storageVersion) obj.apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  return obj;
}

/** Finalizers still to run: metadata.finalizers, and those the kind adds (a Namespace's spec.finalizers). */
export function pendingFinalizers(def: KindDefinition, obj: KObject): string[] {
  return [...(obj.metadata.finalizers ?? []), ...(def.deletion?.extraFinalizers?.(obj) ?? [])];
}
