// skiff.v1.Objects over the Kernel: every call authenticated and authorized through the front-end
// kit's gate (the same tokens, attributes and authorizer as the REST API) before the kernel is
// touched; answers encoded by answers.ts; failures as gRPC statuses with the Kubernetes Status in
// the details (errors.ts).
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import { toScale, type DeleteOptions, type Kernel, type KindInfo, type KObject, type WriteOptions } from '@skiff/kernel';
import { bearerToken, isSelfReview, type ApiGate, type Verb } from '@skiff/client/api-frontend';
import { listAnswer, objectAnswer, RecentEvents } from './answers.ts';
import { badRequest, checkDecoded, checkFieldManager, decodeObject, decodePatch, target, type RefMessage, type Target } from './requests.ts';
import { streamWatch } from './watch-stream.ts';

interface ObjectMsg {
  json: Buffer;
}
interface GetRequest {
  ref: RefMessage | null;
}
interface ListRequest {
  ref: RefMessage | null;
  labelSelector: string;
  fieldSelector: string;
  resourceVersion: string;
  limit: number;
  continue: string;
}
interface WriteRequest {
  ref: RefMessage | null;
  object: ObjectMsg | null;
  dryRun: boolean;
  fieldManager: string;
}
interface PatchRequest {
  ref: RefMessage | null;
  patchType: string;
  patch: Buffer;
  dryRun: boolean;
  fieldManager: string;
  force: boolean;
}
interface DeleteRequest {
  ref: RefMessage | null;
  propagationPolicy: string;
  gracePeriodSeconds: { value: number } | null;
  preconditions: { uid: string; resourceVersion: string } | null;
  dryRun: boolean;
}
interface WatchRequest {
  ref: RefMessage | null;
  labelSelector: string;
  fieldSelector: string;
  resourceVersion: string;
  allowBookmarks: boolean;
  sendInitialEvents: { value: boolean } | null;
  timeoutSeconds: number;
}

type Call = { metadata: { get(key: string): unknown[] }; request: unknown };

export interface ObjectsServiceOptions {
  kernel: Kernel;
  gate: ApiGate;
  toServiceError: (e: unknown) => Partial<ServiceError>;
  /** watch streams in progress (ended when the server drains) */
  activeWatches: Set<() => void>;
}

const PROPAGATION = ['Orphan', 'Background', 'Foreground'];

export function objectsService(o: ObjectsServiceOptions): UntypedServiceImplementation {
  const { kernel, gate } = o;
  const encoder = new RecentEvents();

  /**
   * Authenticate (first: a wrong token learns nothing else), check the ref (and, through
   * `namespace`, the object a write carries), then authorize what the request asks.
   */
  const admit = async (call: Call, verb: Verb, ref: RefMessage | null, need: Parameters<typeof target>[2], namespace?: (t: Target) => string | undefined, name?: (t: Target) => string): Promise<Target> => {
    const user = gate.authenticate(bearerToken(call.metadata.get('authorization')[0]));
    checkDecoded(call.request);
    const t = target(kernel, ref, need);
    await gate.authorize({
      user,
      verb,
      resourceRequest: true,
      apiGroup: t.kind.group,
      apiVersion: t.kind.version,
      resource: t.kind.resource,
      subresource: t.subresource,
      namespace: (namespace ? namespace(t) : t.namespace) ?? '',
      name: name ? name(t) : t.name,
      path: '',
    });
    return t;
  };

  const unary = <Req>(fn: (req: Req, call: Call) => Promise<Buffer>) => (call: ServerUnaryCall<Req, Buffer>, cb: sendUnaryData<Buffer>) => {
    fn(call.request, call).then(
      (b) => cb(null, b),
      (e) => cb(o.toServiceError(e) as ServiceError),
    );
  };

  const writeOptions = (r: { dryRun: boolean; fieldManager: string }, subresource: string): WriteOptions => {
    checkFieldManager(r.fieldManager);
    return { dryRun: r.dryRun, ...(r.fieldManager ? { fieldManager: r.fieldManager } : {}), ...(subresource ? { subresource } : {}) };
  };

  return {
    Get: unary<GetRequest>(async (req, call) => {
      const t = await admit(call, 'get', req.ref, { name: true, namespace: true, subresources: ['status', 'scale'] });
      const obj = await kernel.get(t.ref, t.namespace, t.name);
      return objectAnswer(t.subresource === 'scale' ? toScale(t.kind, obj) : obj);
    }),

    List: unary<ListRequest>(async (req, call) => {
      const t = await admit(call, 'list', req.ref, { name: false, namespace: false });
      if (t.name !== '') throw badRequest([{ reason: 'FieldValueForbidden', field: 'ref.name', message: 'Forbidden: List takes no name (use a field selector: metadata.name=...)' }]);
      if (req.limit < 0) throw badRequest([{ reason: 'FieldValueInvalid', field: 'limit', message: `Invalid value: ${req.limit}: must be greater than or equal to 0` }]);
      const list = await kernel.list(t.ref, {
        namespace: t.namespace,
        labelSelector: req.labelSelector || undefined,
        fieldSelector: req.fieldSelector || undefined,
        resourceVersion: req.resourceVersion,
        limit: req.limit || undefined,
        continue: req.continue || undefined,
      });
      return listAnswer(list);
    }),

    Create: unary<WriteRequest>(async (req, call) => {
      // "may I?" reviews: answered for this caller, never stored
      const ref = req.ref;
      if (ref && isSelfReview(ref.group, ref.resource) && !ref.name && !ref.namespace && !ref.subresource) {
        const user = gate.authenticate(bearerToken(call.metadata.get('authorization')[0]));
        checkDecoded(call.request);
        return objectAnswer(await gate.selfReview(user, ref.resource, decodeObject(req.object, 'object')));
      }
      let placed: KObject | undefined;
      const t = await admit(call, 'create', req.ref, { name: false, namespace: false }, (t) => (placed = place(t, decodeObject(req.object, 'object'))).metadata.namespace, () => '');
      const created = await kernel.create(t.ref, placed!, writeOptions(req, ''));
      return objectAnswer(created);
    }),

    Update: unary<WriteRequest>(async (req, call) => {
      let placed: KObject | undefined;
      const t = await admit(call, 'update', req.ref, { name: false, namespace: false, subresources: ['status', 'scale'] }, (t) => (placed = place(t, decodeObject(req.object, 'object'), true)).metadata.namespace, () => placed!.metadata.name!);
      return objectAnswer(await kernel.update(t.ref, placed!, writeOptions(req, t.subresource)));
    }),

    Patch: unary<PatchRequest>(async (req, call) => {
      const t = await admit(call, 'patch', req.ref, { name: true, namespace: true, subresources: ['status', 'scale'] });
      const { type, value } = decodePatch(req.patchType, req.patch);
      const opts: WriteOptions = writeOptions(req, t.subresource);
      if (type === 'apply') {
        if (!req.fieldManager) throw badRequest([{ reason: 'FieldValueRequired', field: 'field_manager', message: 'Required value: is required for apply patch' }]);
        if (req.force) opts.force = true;
      } else if (req.force) {
        throw badRequest([{ reason: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' }]);
      }
      // an apply of an object that is not there creates it: the kernel's apply does that
      return objectAnswer(await kernel.patch(t.ref, t.namespace, t.name, type, value, opts));
    }),

    Delete: unary<DeleteRequest>(async (req, call) => {
      const t = await admit(call, 'delete', req.ref, { name: true, namespace: true });
      const opts: DeleteOptions = { dryRun: req.dryRun };
      if (req.propagationPolicy) {
        if (!PROPAGATION.includes(req.propagationPolicy)) {
          throw badRequest([{ reason: 'FieldValueNotSupported', field: 'propagation_policy', message: `Unsupported value: ${JSON.stringify(req.propagationPolicy)}: supported values: "Orphan", "Background", "Foreground"` }]);
        }
        opts.propagationPolicy = req.propagationPolicy as DeleteOptions['propagationPolicy'];
      }
      if (req.gracePeriodSeconds) {
        if (req.gracePeriodSeconds.value < 0) throw badRequest([{ reason: 'FieldValueInvalid', field: 'grace_period_seconds', message: `Invalid value: ${req.gracePeriodSeconds.value}: must be greater than or equal to 0` }]);
        opts.gracePeriodSeconds = req.gracePeriodSeconds.value;
      }
      const pre = req.preconditions;
      if (pre && (pre.uid || pre.resourceVersion)) opts.preconditions = { ...(pre.uid ? { uid: pre.uid } : {}), ...(pre.resourceVersion ? { resourceVersion: pre.resourceVersion } : {}) };
      return objectAnswer(await kernel.delete(t.ref, t.namespace, t.name, opts));
    }),

    Watch: (call: ServerWritableStream<WatchRequest, Buffer>) => {
      const req = call.request;
      admit(call, 'watch', req.ref, { name: false, namespace: false })
        .then((t) => {
          if (t.name !== '') throw badRequest([{ reason: 'FieldValueForbidden', field: 'ref.name', message: 'Forbidden: Watch takes no name (use a field selector: metadata.name=...)' }]);
          if (req.timeoutSeconds < 0) throw badRequest([{ reason: 'FieldValueInvalid', field: 'timeout_seconds', message: `Invalid value: ${req.timeoutSeconds}: must be greater than or equal to 0` }]);
          if (call.cancelled) return;
          // validates selectors and the resourceVersion before anything is sent
          const w = kernel.watch(t.ref, {
            namespace: t.namespace,
            labelSelector: req.labelSelector || undefined,
            fieldSelector: req.fieldSelector || undefined,
            resourceVersion: req.resourceVersion,
            allowWatchBookmarks: req.allowBookmarks,
            ...(req.sendInitialEvents ? { sendInitialEvents: req.sendInitialEvents.value } : {}),
            ...(req.timeoutSeconds ? { timeoutSeconds: req.timeoutSeconds } : {}),
          });
          streamWatch(w, call, { encoder, toServiceError: o.toServiceError, active: o.activeWatches });
        })
        .catch((e) => {
          if (!call.cancelled) call.emit('error', o.toServiceError(e));
        });
    },
  };
}

/**
 * Where a created or updated object goes: a namespaced kind takes ref.namespace, else the object's
 * (they must agree when both are set); ref.name, when set, must agree with metadata.name (and is
 * the name when the object has none). `update`: a name is required.
 */
function place(t: Target, obj: KObject, update = false): KObject {
  const meta = obj.metadata;
  const k: KindInfo = t.kind;
  if (k.namespaced) {
    const bodyNs = meta.namespace;
    if (bodyNs !== undefined && bodyNs !== '' && t.namespace !== undefined && bodyNs !== t.namespace) {
      throw badRequest([{ reason: 'FieldValueInvalid', field: 'object.json', message: `Invalid value: metadata.namespace "${String(bodyNs)}" does not match ref.namespace "${t.namespace}"` }]);
    }
    const ns = t.namespace ?? (typeof bodyNs === 'string' && bodyNs !== '' ? bodyNs : undefined);
    if (ns === undefined) throw badRequest([{ reason: 'FieldValueRequired', field: 'ref.namespace', message: `Required value: ${k.resource} are namespaced: set ref.namespace or metadata.namespace` }]);
    meta.namespace = ns;
  }
  if (t.name !== '') {
    if (meta.name !== undefined && meta.name !== '' && meta.name !== t.name) {
      throw badRequest([{ reason: 'FieldValueInvalid', field: 'object.json', message: `Invalid value: metadata.name "${String(meta.name)}" does not match ref.name "${t.name}"` }]);
    }
    meta.name = t.name;
  }
  if (update && (typeof meta.name !== 'string' || meta.name === '')) throw badRequest([{ reason: 'FieldValueRequired', field: 'ref.name', message: 'Required value: set ref.name or metadata.name' }]);
  return obj;
}
