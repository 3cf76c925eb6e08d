// CRUD, watch and subresources of every registered kind at Kubernetes paths, over the Kernel.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, evictPod, successStatus, toScale, type DeleteOptions, type Kernel, type KindInfo, type KObject, type PatchType, type ResourceRef, type WatchOptions } from '@skiff/kernel';
import { isLegacyEphemeralContainers, podOfLegacyEphemeralContainers } from './ephemeral-containers-legacy.ts';
import type { ResourcePath } from './paths.ts';
import { tableVersion, toTable, wantsTable } from './table.ts';
import { streamWatch } from './watch-stream.ts';
import { jsonHead, JsonArrayWriter, sendList, sendTable } from './list-stream.ts';
import { checkListOptions } from './query-params.ts';
import { warningHeader, type FieldValidator } from './field-validation.ts';

type Query = Record<string, string | undefined>;

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

const isTrue = (v: string | undefined) => v === 'true' || v === '1';

function intParam(q: Query, name: string): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${name}: "${v}" is not an integer`);
  return Number(v);
}

/** The patch type of a PATCH request, from its Content-Type; 415 for any other. */
function patchType(req: FastifyRequest): PatchType {
  const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const type = Object.hasOwn(PATCH_TYPES, ct) ? PATCH_TYPES[ct] : undefined;
  if (!type) throw errors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`);
  if (req.body === undefined) throw errors.badRequest('the request body is empty');
  return type;
}

/** A create or replace carries an object: a patch media type there is a 415 (kube has no decoder for it). */
function objectBodyType(req: FastifyRequest): void {
  const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (Object.hasOwn(PATCH_TYPES, ct)) throw errors.unsupportedMediaType(`the body of the request was in an unknown format (${ct}) - a ${req.method} takes application/json, application/yaml or application/vnd.kubernetes.protobuf`);
}

/**
 * The field manager of a write: the fieldManager parameter, else the client's user agent up to its
 * first `/` (kube's managerOrUserAgent: "kubectl/v1.20.0 (linux/amd64) ..." is "kubectl").
 */
function fieldManager(req: FastifyRequest): string | undefined {
  const q = req.query as Query;
  if (q.fieldManager) return q.fieldManager;
  const ua = req.headers['user-agent'];
  const prefix = typeof ua === 'string' ? ua.split('/')[0]!.slice(0, 128) : '';
  return prefix || undefined;
}

/** `force` is for server-side apply only (kube: 422 on another patch type). */
function force(req: FastifyRequest, type: PatchType | undefined): boolean {
  const v = (req.query as Query).force;
  if (v === undefined || v === '') return false;
  if (type !== 'apply') {
    throw errors.invalid({ group: 'meta.k8s.io', resource: '', kind: 'PatchOptions' }, '', [{ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' }]);
  }
  if (v !== 'true' && v !== 'false') throw errors.badRequest(`invalid value for force: "${v}" is not a boolean`);
  return v === 'true';
}

function dryRun(q: Query): boolean {
  const v = q.dryRun;
  if (v === undefined || v === '') return false;
  if (v !== 'All') throw errors.badRequest(`unsupported dry run option "${v}": only "All" is supported`);
  return true;
}

function asObject(body: unknown): KObject {
  if (body === undefined || body === null || body === '') throw errors.badRequest('the request body is empty');
  if (typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the request body must be a JSON object');
  // kube cannot decode `"metadata": true` (or a number, a string, a list) into ObjectMeta: 400
  const meta = (body as Record<string, unknown>).metadata;
  if (meta !== undefined && meta !== null && (typeof meta !== 'object' || Array.isArray(meta))) throw errors.badRequest(`metadata must be an object, not ${Array.isArray(meta) ? 'a list' : typeof meta}`);
  return body as KObject;
}

/**
 * How long a watch without timeoutSeconds (or with 0) stays open: kube-apiserver's
 * --min-request-timeout, a random time between it and twice it, so clients' watches end at spread-out
 * times and reconnect (to another replica, after a reload) instead of staying on one server forever.
 */
export function defaultWatchSeconds(minRequestTimeoutSeconds: number, random = Math.random): number {
  return Math.floor(minRequestTimeoutSeconds * (1 + random()));
}

/** kube-apiserver's default --min-request-timeout */
export const DEFAULT_MIN_REQUEST_TIMEOUT_SECONDS = 1800;

export class ResourceHandlers {
  constructor(
    private readonly kernel: Kernel,
    /** fieldValidation (unknown and duplicate fields) of writes; without it nothing is checked */
    private readonly fields?: FieldValidator,
    /** watches without timeoutSeconds end after defaultWatchSeconds of this */
    private readonly minRequestTimeoutSeconds = DEFAULT_MIN_REQUEST_TIMEOUT_SECONDS,
  ) {}

  async handle(p: ResourcePath & { resource: string }, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const ref: ResourceRef = { group: p.group, version: p.version, resource: p.resource };
    const kind = this.kernel.kindFor(ref);
    if (p.namespace !== undefined && !kind.namespaced) throw errors.noSuchResource(`the server could not find the requested resource`);
    if (kind.deprecationWarning) reply.header('Warning', warningHeader(kind.deprecationWarning));
    if (p.subresource && !kind.subresources.includes(p.subresource)) {
      throw errors.noSuchResource(`the server could not find the requested resource (${req.method.toLowerCase()} ${p.resource} ${p.name}/${p.subresource})`);
    }
    const q = req.query as Query;
    const ns = kind.namespaced ? p.namespace : undefined;
    if (req.method === 'POST' || req.method === 'PUT') objectBodyType(req);
    if (p.subresource === 'binding') return this.bind(ref, kind, ns, p.name!, req, reply);
    if (p.subresource === 'scale') return this.scale(ref, kind, ns, p.name!, req);
    if (p.subresource === 'eviction') return this.evict(kind, ns, p.name!, req, reply);
    switch (req.method) {
      case 'GET':
        if (p.name === undefined) {
          checkListOptions(q);
          return isTrue(q.watch) ? this.watch(ref, kind, ns, q, req, reply) : this.list(ref, kind, ns, q, req, reply);
        }
        if (kind.namespaced && ns === undefined) throw errors.noSuchResource('the server could not find the requested resource');
        return this.maybeTable(kind, req, await this.kernel.get(ref, ns, p.name));
      case 'POST': {
        if (p.name !== undefined) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
        const obj = asObject(req.body);
        await this.fields?.check(req, reply, { kind, namespace: ns }, obj);
        this.placeNamespace(kind, obj, ns);
        const created = await this.kernel.create(ref, obj, { dryRun: dryRun(q), fieldManager: fieldManager(req) });
        reply.code(201);
        return created;
      }
      case 'PUT': {
        if (p.name === undefined) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
        const obj =
          p.subresource === 'ephemeralcontainers' && isLegacyEphemeralContainers(req.body)
            ? podOfLegacyEphemeralContainers(await this.kernel.get(ref, ns, p.name), req.body) // kubectl 1.20's debug
            : asObject(req.body);
        if (obj.metadata && typeof obj.metadata === 'object' && obj.metadata.name !== undefined && obj.metadata.name !== p.name) {
          throw errors.badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${p.name})`);
        }
        await this.fields?.check(req, reply, { kind, namespace: ns, name: p.name }, obj);
        obj.metadata = { ...(obj.metadata ?? {}), name: p.name };
        this.placeNamespace(kind, obj, ns);
        return this.kernel.update(ref, obj, { dryRun: dryRun(q), subresource: p.subresource, fieldManager: fieldManager(req) });
      }
      case 'PATCH': {
        if (p.name === undefined) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
        const type = patchType(req);
        const opts = { dryRun: dryRun(q), subresource: p.subresource, force: force(req, type) };
        await this.fields?.check(req, reply, { kind, namespace: ns, name: p.name, patchType: type }, req.body);
        if (type === 'apply') {
          // server-side apply names its field manager itself (kube: 422 without one)
          return this.kernel.patch(ref, ns, p.name, type, asObject(req.body), { ...opts, fieldManager: q.fieldManager });
        }
        return this.kernel.patch(ref, ns, p.name, type, req.body, { ...opts, fieldManager: fieldManager(req) });
      }
      case 'DELETE': {
        const opts = this.deleteOptions(req.body, q);
        if (p.name === undefined) {
          if (!kind.verbs.includes('deletecollection')) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource (DELETE ${kind.resource})`);
          checkListOptions(q);
          return this.deleteCollection(ref, kind, ns, q, opts, reply);
        }
        return this.kernel.delete(ref, ns, p.name, opts);
      }
      default:
        throw errors.methodNotAllowed(`method ${req.method} is not allowed`);
    }
  }

  /** GET, PUT and PATCH of <resource>/<name>/scale: an autoscaling/v1 Scale of the parent. */
  private async scale(ref: ResourceRef, kind: KindInfo, ns: string | undefined, name: string, req: FastifyRequest) {
    if (kind.namespaced && ns === undefined) throw errors.noSuchResource('the server could not find the requested resource');
    const q = req.query as Query;
    switch (req.method) {
      case 'GET':
        return toScale(kind, await this.kernel.get(ref, ns, name));
      case 'PUT': {
        const body = asObject(req.body);
        const meta = body.metadata && typeof body.metadata === 'object' ? body.metadata : {};
        if (meta.name !== undefined && meta.name !== '' && meta.name !== name) {
          throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
        }
        this.placeNamespace(kind, body, ns);
        body.metadata.name = name;
        return this.kernel.update(ref, body, { dryRun: dryRun(q), subresource: 'scale', fieldManager: fieldManager(req) });
      }
      case 'PATCH': {
        const type = patchType(req);
        return this.kernel.patch(ref, ns, name, type, req.body, { dryRun: dryRun(q), subresource: 'scale', fieldManager: fieldManager(req), force: force(req, type) });
      }
      default:
        throw errors.methodNotAllowed(`the server does not allow this method on the requested resource (${req.method} ${kind.resource}/scale)`);
    }
  }

  /** POST pods/<name>/eviction: a policy/v1 Eviction, checked against the pod's disruption budget. */
  private async evict(kind: KindInfo, ns: string | undefined, name: string, req: FastifyRequest, reply: FastifyReply) {
    if (req.method !== 'POST') throw errors.methodNotAllowed(`the server does not allow this method on the requested resource (${req.method} ${kind.resource}/eviction)`);
    if (ns === undefined) throw errors.noSuchResource('the server could not find the requested resource');
    const status = await evictPod(this.kernel, ns, name, asObject(req.body), { dryRun: dryRun(req.query as Query) });
    reply.code(201);
    return status;
  }

  /** POST pods/<name>/binding: answers a Success Status, as kube-apiserver does. */
  private async bind(ref: ResourceRef, kind: KindInfo, ns: string | undefined, name: string, req: FastifyRequest, reply: FastifyReply) {
    if (req.method !== 'POST') throw errors.methodNotAllowed(`the server does not allow this method on the requested resource (${req.method} ${kind.resource}/binding)`);
    const body = asObject(req.body);
    const meta = body.metadata && typeof body.metadata === 'object' ? body.metadata : {};
    if (meta.name !== undefined && meta.name !== name) throw errors.badRequest(`the name of the binding (${String(meta.name)}) does not match the name on the URL (${name})`);
    await this.kernel.create(ref, { ...body, metadata: { ...meta, name, namespace: ns } }, { subresource: 'binding', dryRun: dryRun(req.query as Query) });
    reply.code(201);
    return successStatus({ name, kind: 'pods' });
  }

  private placeNamespace(kind: KindInfo, obj: KObject, ns: string | undefined): void {
    if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = {};
    if (!kind.namespaced) return;
    const bodyNs = obj.metadata.namespace;
    if (bodyNs !== undefined && bodyNs !== '' && ns !== undefined && bodyNs !== ns) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (ns === undefined && !bodyNs) throw errors.noSuchResource('the server could not find the requested resource');
    obj.metadata.namespace = ns ?? bodyNs;
  }

  private deleteOptions(body: unknown, q: Query): DeleteOptions {
    const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, any>;
    const policy = q.propagationPolicy ?? b.propagationPolicy ?? (q.orphanDependents === 'true' || b.orphanDependents === true ? 'Orphan' : undefined);
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw errors.badRequest(`unsupported propagationPolicy "${policy}": must be Orphan, Background or Foreground`);
    }
    const grace = intParam(q, 'gracePeriodSeconds') ?? (typeof b.gracePeriodSeconds === 'number' ? b.gracePeriodSeconds : undefined);
    const dry = dryRun(q) || (Array.isArray(b.dryRun) && b.dryRun.includes('All'));
    return { propagationPolicy: policy, gracePeriodSeconds: grace, dryRun: dry, preconditions: b.preconditions };
  }

  /** A LIST, streamed item by item (list-stream.ts): the kernel's list holds references to the cache's objects, never copies. */
  private async list(ref: ResourceRef, kind: KindInfo, ns: string | undefined, q: Query, req: FastifyRequest, reply: FastifyReply) {
    const list = await this.kernel.list(ref, {
      namespace: ns,
      labelSelector: q.labelSelector,
      fieldSelector: q.fieldSelector,
      resourceVersion: q.resourceVersion,
      // validated before (query-params.ts: only with a resourceVersion, Exact never at "0")
      resourceVersionMatch: q.resourceVersionMatch === 'Exact' || q.resourceVersionMatch === 'NotOlderThan' ? q.resourceVersionMatch : undefined,
      limit: intParam(q, 'limit'),
      continue: q.continue,
    });
    const accept = req.headers.accept;
    if (wantsTable(accept)) return sendTable(reply, kind, list.items, list.metadata, { includeObject: q.includeObject, apiVersion: tableVersion(accept!) });
    return sendList(reply, list);
  }

  private maybeTable(kind: KindInfo, req: FastifyRequest, obj: KObject) {
    const accept = req.headers.accept;
    if (!wantsTable(accept)) return obj;
    return toTable(kind, [obj], { resourceVersion: obj.metadata.resourceVersion }, { includeObject: (req.query as Query).includeObject, apiVersion: tableVersion(accept!) });
  }

  private watch(ref: ResourceRef, kind: KindInfo, ns: string | undefined, q: Query, req: FastifyRequest, reply: FastifyReply) {
    const opts: WatchOptions = {
      namespace: ns,
      labelSelector: q.labelSelector,
      fieldSelector: q.fieldSelector,
      resourceVersion: q.resourceVersion,
      allowWatchBookmarks: isTrue(q.allowWatchBookmarks),
      sendInitialEvents: q.sendInitialEvents === undefined ? undefined : isTrue(q.sendInitialEvents),
      // 0 or none: the server's own randomized end, as kube-apiserver's
      timeoutSeconds: intParam(q, 'timeoutSeconds') || defaultWatchSeconds(this.minRequestTimeoutSeconds),
    };
    const w = this.kernel.watch(ref, opts); // validates selectors and the resourceVersion before anything is sent
    const accept = req.headers.accept;
    const table = wantsTable(accept) ? { resource: kind.resource, printerColumns: kind.printerColumns, includeObject: q.includeObject, apiVersion: tableVersion(accept!) } : undefined;
    return streamWatch(w, req, reply, table);
  }

  /**
   * DELETE of a collection: each match deleted (DELETE_WORKERS at a time), the deleted objects
   * answered as a list in list order. The answer is held (so a failure is still a Status) up to
   * DELETE_HOLD_BYTES, then streamed; a failure after that cuts the connection.
   */
  private async deleteCollection(ref: ResourceRef, kind: KindInfo, ns: string | undefined, q: Query, opts: DeleteOptions, reply: FastifyReply) {
    const list = await this.kernel.list(ref, { namespace: ns, labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
    const head = jsonHead({ apiVersion: list.apiVersion, kind: `${kind.kind}List`, metadata: { resourceVersion: list.metadata.resourceVersion }, items: [] }, 'items');
    const w = new JsonArrayWriter(reply, head, { holdBytes: DELETE_HOLD_BYTES });
    for (let i = 0; i < list.items.length; i += DELETE_WORKERS) {
      const batch = list.items.slice(i, i + DELETE_WORKERS);
      const done = await Promise.allSettled(batch.map((o) => this.kernel.delete(ref, o.metadata.namespace, o.metadata.name!, opts)));
      for (const r of done) {
        if (r.status === 'fulfilled') {
          if (!(await w.item(JSON.stringify(r.value)))) return;
          continue;
        }
        if ((r.reason as { code?: number }).code === 404) continue;
        if (!w.started) throw r.reason;
        w.abort();
        return;
      }
    }
    await w.end();
  }
}

/** Deletes of one deleteCollection in flight at once. */
const DELETE_WORKERS = 8;
/** Bytes of a deleteCollection's answer held before it is streamed. */
const DELETE_HOLD_BYTES = 4 * 1024 * 1024;
