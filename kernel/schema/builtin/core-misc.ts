// core/v1 Namespace, Node, Event, ServiceAccount.
import { asArr, asObj, cause, child, ensureObj, isObj, setDefault, type Obj, type StatusCause } from '../causes.ts';
import { validateFinalizers, type SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { atomic, keyedList, objectSchema, setList } from '../patch-meta.ts';
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
import { safeDefault, safeValidate, sel, structure } from './helpers.ts';

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
    const out = structure(o, { spec: S.obj({ finalizers: S.strArr }), status: S.obj({ phase: S.str }) });
    const spec = asObj(o.spec);
    if (spec) out.push(...validateFinalizers(spec.finalizers, 'spec.finalizers'));
    const status = asObj(o.status);
    if (status) out.push(...validateEnum(status.phase, 'status.phase', ['Active', 'Terminating']));
    return out;
  }),
  selectableFields: { 'status.phase': sel('status', 'phase') },
};

const taint = S.obj({ key: S.str, value: S.str, effect: S.str, timeAdded: S.str });
const nodeProps = {
  spec: S.obj({ podCIDR: S.str, podCIDRs: setList(), providerID: S.str, unschedulable: S.bool, taints: S.arr(taint) }),
  status: S.obj({
    capacity: S.map(S.quantity),
    allocatable: S.map(S.quantity),
    conditions: keyedList(S.obj({ type: S.str, status: S.str }), 'type'),
    addresses: keyedList(S.obj({ type: S.str, address: S.str }), 'type'),
    nodeInfo: S.obj(),
  }),
};
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

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

function validateEvent(o: Obj): StatusCause[] {
  const out = structure(o, {
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
  });
  const io = o.involvedObject;
  if (io === undefined || io === null) out.push(cause.required('involvedObject'));
  else if (isObj(io)) {
    const ns = isObj(o.metadata) ? o.metadata.namespace : undefined;
    if (typeof io.namespace === 'string' && io.namespace !== '' && typeof ns === 'string' && ns !== 'default' && io.namespace !== ns)
      out.push(cause.invalid('involvedObject.namespace', io.namespace, 'does not match event.namespace'));
  }
  out.push(...validateInt(o.count, 'count', { min: 0 }));
  if (typeof o.reason === 'string' && o.reason.length > 128) out.push(cause.tooLong('reason', 128));
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

const serviceAccountProps = { secrets: keyedList(S.obj({ kind: S.str, namespace: S.str, name: S.str, uid: S.str, apiVersion: S.str }), 'name'), imagePullSecrets: S.arr(atomic(S.obj({ name: S.str }))), automountServiceAccountToken: S.bool };

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
