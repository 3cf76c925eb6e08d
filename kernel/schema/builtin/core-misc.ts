// core/v1 Namespace, Node, Event, ServiceAccount.
import { asArr, asObj, cause, child, ensureObj, isObj, setDefault, type Obj, type StatusCause } from '../causes.ts';
import { validateFinalizers, type SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { atomic, keyedList, setList } from '../patch-meta.ts';
import {
  isDNS1123Subdomain,
  isQualifiedName,
  isValidCIDR,
  isLabelValue,
  nameIsDNSLabel,
  validateEnum,
  validateInt,
  validateResourceList,
  validateString,
} from '../validation.ts';
import { objectSchema, safeDefault, safeValidate, sel, structure } from './helpers.ts';

const namespaceProps = { spec: S.obj({ finalizers: S.strArr }), status: S.obj({ phase: S.str, conditions: keyedList(S.obj(), 'type') }) };

export const namespaceKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  resource: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  subresources: ['status', 'finalize'],
  // kube-apiserver serves no deletecollection of namespaces (DELETE /api/v1/namespaces is a 405)
  deleteCollection: false,
  nameCheck: nameIsDNSLabel,
  schema: objectSchema(namespaceProps),
  deletion: {
    // the namespace controller empties the namespace, then removes `kubernetes` from spec.finalizers
    extraFinalizers: (o) => (asObj(o.spec) && Array.isArray(asObj(o.spec)!.finalizers) ? (asObj(o.spec)!.finalizers as string[]) : []),
    onMarked: (o) => {
      o.status = { ...(asObj(o.status) ?? {}), phase: 'Terminating' };
    },
  },
  default: safeDefault((o) => {
    const spec = ensureObj(o, 'spec');
    if (spec) setDefault(spec, 'finalizers', ['kubernetes']);
    const status = ensureObj(o, 'status');
    if (status) setDefault(status, 'phase', 'Active');
  }),
  validate: safeValidate((o) => {
    const out = structure(o, namespaceProps);
    const spec = asObj(o.spec);
    if (spec) out.push(...validateFinalizers(spec.finalizers, 'spec.finalizers'));
    const status = asObj(o.status);
    if (status) out.push(...validateEnum(status.phase, 'status.phase', ['Active', 'Terminating']));
    return out;
  }),
  selectableFields: { 'status.phase': sel('status', 'phase') },
};

const taint = S.obj({ key: S.str, value: S.str, effect: S.str, timeAdded: S.str });
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

const nodeProps = {
  spec: S.obj({ podCIDR: S.str, podCIDRs: setList(), providerID: S.str, unschedulable: S.bool, taints: S.arr(taint), configSource: S.obj(), externalID: S.str }),
  status: S.obj({
    capacity: S.map(S.quantity),
    allocatable: S.map(S.quantity),
    phase: S.str,
    conditions: keyedList(S.obj({ type: S.str, status: S.str, lastHeartbeatTime: S.str, lastTransitionTime: S.str, reason: S.str, message: S.str }), 'type'),
    addresses: keyedList(S.obj({ type: S.str, address: S.str }), 'type'),
    daemonEndpoints: S.obj(),
    nodeInfo: S.obj(),
    images: S.arr(S.obj({ names: S.strArr, sizeBytes: S.int64 })),
    volumesInUse: S.strArr,
    volumesAttached: S.arr(S.obj({ name: S.str, devicePath: S.str })),
    config: S.obj(),
    runtimeHandlers: S.arr(S.obj()),
    features: S.obj(),
    declaredFeatures: S.strArr,
  }),
};

function validateNode(o: Obj): StatusCause[] {
  const out = structure(o, nodeProps);
  const spec = asObj(o.spec) ?? {};
  out.push(...validateString(spec.podCIDR, 'spec.podCIDR', isValidCIDR));
  asArr(spec.podCIDRs).forEach((c, i) => out.push(...validateString(c, child('spec.podCIDRs', i), isValidCIDR)));
  const seen = new Set<string>();
  asArr(spec.taints).forEach((t, i) => {
    if (!isObj(t)) return;
    const f = child('spec.taints', i);
    out.push(...validateString(t.key, child(f, 'key'), isQualifiedName, { required: true }));
    out.push(...validateString(t.value, child(f, 'value'), isLabelValue));
    out.push(...validateEnum(t.effect, child(f, 'effect'), TAINT_EFFECTS, { required: true }));
    const k = `${String(t.key)}:${String(t.effect)}`;
    if (seen.has(k)) out.push(cause.duplicate(f, k));
    seen.add(k);
  });
  const status = asObj(o.status) ?? {};
  out.push(...validateResourceList(status.capacity, 'status.capacity'));
  out.push(...validateResourceList(status.allocatable, 'status.allocatable'));
  return out;
}

export const nodeKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Node',
  resource: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  subresources: ['status'],
  // "Nodes allow *all* fields, including status, to be set on create" (kube's node strategy)
  keepStatusOnCreate: true,
  schema: objectSchema(nodeProps),
  validate: safeValidate(validateNode),
  selectableFields: { 'spec.unschedulable': (o) => String(isObj(o.spec) && o.spec.unschedulable === true) },
};

const objectRef = S.obj({ kind: S.str, namespace: S.str, name: S.str, uid: S.str, apiVersion: S.str, resourceVersion: S.str, fieldPath: S.str });

const eventProps = {
  involvedObject: objectRef,
  reason: S.str,
  message: S.str,
  source: S.obj({ component: S.str, host: S.str }),
  firstTimestamp: S.str,
  lastTimestamp: S.str,
  eventTime: S.str,
  count: S.int,
  type: S.str,
  reportingComponent: S.str,
  reportingInstance: S.str,
  action: S.str,
  related: objectRef,
  series: S.obj({ count: S.int, lastObservedTime: S.str }),
};

function validateEvent(o: Obj): StatusCause[] {
  const out = structure(o, eventProps);
  const io = o.involvedObject;
  if (io === undefined || io === null) out.push(cause.required('involvedObject'));
  else if (isObj(io)) {
    const ns = isObj(o.metadata) ? o.metadata.namespace : undefined;
    if (typeof io.namespace === 'string' && io.namespace !== '' && typeof ns === 'string' && ns !== 'default' && io.namespace !== ns)
      out.push(cause.invalid('involvedObject.namespace', io.namespace, 'does not match event.namespace'));
  }
  out.push(...validateInt(o.count, 'count', { min: 0 }));
  if (typeof o.reason === 'string' && o.reason.length > 128) out.push(cause.tooLong('reason', 128));
  // an Event with eventTime is a "new" one (written through events.k8s.io or a new recorder): it
  // names who reported it and what was done, as kube's legacyValidateEvent requires
  if (typeof o.eventTime === 'string' && o.eventTime !== '') out.push(...newEventCauses(o, { controller: 'reportingComponent', note: 'message', regarding: 'involvedObject' }));
  return out;
}

/** The fields of a new-style Event (eventTime set), named as the request's version names them. */
function newEventCauses(o: Obj, names: { controller: string; note: string; regarding: string }): StatusCause[] {
  const out: StatusCause[] = [];
  const ns = isObj(o.metadata) ? o.metadata.namespace : undefined;
  const regarding = o[names.regarding];
  const regardingNs = isObj(regarding) && typeof regarding.namespace === 'string' ? regarding.namespace : '';
  if (regardingNs === '' && ns !== 'default' && ns !== 'kube-system') out.push(cause.invalid(`${names.regarding}.namespace`, regardingNs, 'does not match event.namespace'));
  const text = (f: string, max?: number) => {
    const v = o[f];
    if (v === undefined || v === null || v === '') out.push(cause.required(f));
    else if (typeof v === 'string' && max !== undefined && v.length > max) out.push(cause.invalid(f, '', `can have at most ${max} characters`));
  };
  text(names.controller);
  const controller = o[names.controller];
  if (typeof controller === 'string' && controller !== '') out.push(...isQualifiedName(controller).map((m) => cause.invalid(names.controller, controller, m)));
  text('reportingInstance', 128);
  text('action', 128);
  text('reason'); // (its length: the Event's own check, or eventsV1CreateCauses)
  const note = o[names.note];
  if (typeof note === 'string' && note.length > 1024) out.push(cause.invalid(names.note, '', 'can have at most 1024 characters'));
  return out;
}

/**
 * What an events.k8s.io/v1 create must hold beyond the core v1 Event it is stored as (kube's
 * ValidateEventCreate for events.k8s.io/v1 and later): eventTime, a Normal or Warning type, the
 * reporting controller, instance, action and reason, and none of the deprecated* fields. `o` is the
 * object as the client sent it (events.k8s.io/v1 field names).
 */
export function eventsV1CreateCauses(o: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  if (typeof o.eventTime !== 'string' || o.eventTime === '') out.push(cause.required('eventTime'));
  if (o.type !== 'Normal' && o.type !== 'Warning') out.push(cause.invalid('type', '', `has invalid value: ${o.type === undefined ? '' : String(o.type)}`));
  for (const f of ['deprecatedFirstTimestamp', 'deprecatedLastTimestamp']) if (o[f] !== undefined && o[f] !== null && o[f] !== '') out.push(cause.invalid(f, '', 'needs to be unset'));
  if (o.deprecatedCount !== undefined && o.deprecatedCount !== null && o.deprecatedCount !== 0) out.push(cause.invalid('deprecatedCount', '', 'needs to be unset'));
  const src = o.deprecatedSource;
  if (isObj(src) && ((src.component ?? '') !== '' || (src.host ?? '') !== '')) out.push(cause.invalid('deprecatedSource', '', 'needs to be unset'));
  const series = o.series;
  if (isObj(series)) {
    if (typeof series.count !== 'number' || series.count < 2) out.push(cause.invalid('series.count', '', 'should be at least 2'));
    if (typeof series.lastObservedTime !== 'string' || series.lastObservedTime === '') out.push(cause.required('series.lastObservedTime'));
  }
  // (as kube: the reporting fields are asked for once eventTime is there)
  if (typeof o.eventTime === 'string' && o.eventTime !== '') out.push(...newEventCauses(o, { controller: 'reportingController', note: 'note', regarding: 'regarding' }));
  if (typeof o.reason === 'string' && o.reason.length > 128) out.push(cause.invalid('reason', '', 'can have at most 128 characters'));
  return out;
}

export const eventKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Event',
  resource: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  schema: objectSchema(eventProps),
  validate: safeValidate(validateEvent),
  selectableFields: {
    'involvedObject.kind': sel('involvedObject', 'kind'),
    'involvedObject.name': sel('involvedObject', 'name'),
    'involvedObject.namespace': sel('involvedObject', 'namespace'),
    'involvedObject.uid': sel('involvedObject', 'uid'),
    'involvedObject.fieldPath': sel('involvedObject', 'fieldPath'),
    reason: sel('reason'),
    type: sel('type'),
    'source.component': sel('source', 'component'),
  },
};

const serviceAccountProps = { secrets: keyedList(objectRef, 'name'), imagePullSecrets: S.arr(atomic(S.obj({ name: S.str }))), automountServiceAccountToken: S.bool };

export const serviceAccountKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  resource: 'serviceaccounts',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  schema: objectSchema(serviceAccountProps),
  validate: safeValidate((o) => {
    const out = structure(o, serviceAccountProps);
    for (const list of ['secrets', 'imagePullSecrets'])
      asArr(o[list]).forEach((r, i) => {
        if (isObj(r)) out.push(...validateString(r.name, child(list, i, 'name'), isDNS1123Subdomain));
      });
    return out;
  }),
};
