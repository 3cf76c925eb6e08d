// core/v1 Pod.
import { asArr, asObj, cause, child, deepEqual, isObj, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { defaultPod } from './pod-defaults.ts';
import { podSpecSchema, podStatusSchema } from './pod-schema.ts';
import { validatePodSpec } from './pod-spec.ts';
import { validateEphemeralContainersUpdate } from './pod-ephemeral.ts';
import { objectSchema, safeDefault, safeValidate, sel, structure } from './helpers.ts';

const POD_UPDATE_MSG =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** What may change in a running pod's spec (ValidatePodUpdate, simplified). */
export function validatePodSpecUpdate(spec: unknown, oldSpec: unknown): StatusCause[] {
  if (!isObj(spec) || !isObj(oldSpec)) return [];
  const out: StatusCause[] = [];
  const n = clone(spec);
  const o = clone(oldSpec);
  for (const list of ['containers', 'initContainers']) {
    const nl = asArr(n[list]);
    const ol = asArr(o[list]);
    if (nl.length === ol.length) nl.forEach((c, i) => isObj(c) && isObj(ol[i]) && (c.image = (ol[i] as Obj).image));
  }
  // activeDeadlineSeconds: may be set, or lowered, never removed or raised
  const na = spec.activeDeadlineSeconds;
  const oa = oldSpec.activeDeadlineSeconds;
  if (typeof oa === 'number') {
    if (na === undefined || na === null) out.push(cause.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
    else if (typeof na === 'number' && na > oa) out.push(cause.invalid('spec.activeDeadlineSeconds', na, 'must be less than or equal to previous value'));
  }
  n.activeDeadlineSeconds = o.activeDeadlineSeconds;
  // tolerations: only additions
  const nt = asArr(spec.tolerations);
  if (!asArr(oldSpec.tolerations).every((t) => nt.some((x) => deepEqual(x, t))))
    out.push(cause.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  n.tolerations = o.tolerations;
  // nodeName: may be set once (binding)
  if (o.nodeName === undefined || o.nodeName === null || o.nodeName === '') n.nodeName = o.nodeName;
  // schedulingGates: may only be removed
  const og = asArr(oldSpec.schedulingGates);
  if (asArr(spec.schedulingGates).every((g) => og.some((x) => deepEqual(x, g)))) n.schedulingGates = o.schedulingGates;
  // ephemeral containers: only added (the pods/ephemeralcontainers subresource writes them)
  if (!deepEqual(spec.ephemeralContainers ?? [], oldSpec.ephemeralContainers ?? [])) out.push(...validateEphemeralContainersUpdate(spec, oldSpec));
  n.ephemeralContainers = o.ephemeralContainers;
  if (!deepEqual(n, o)) out.push(cause.forbidden('spec', POD_UPDATE_MSG));
  return out;
}

function validatePod(obj: Obj, old?: Obj): StatusCause[] {
  const out = structure(obj, { status: podStatusSchema });
  // an update that leaves the spec as stored (status writes, metadata changes) does not validate the
  // spec again: it was validated when it was written
  if (!old || !deepEqual(obj.spec, old.spec)) {
    out.push(...validatePodSpec(obj.spec, 'spec'));
    if (old) out.push(...validatePodSpecUpdate(obj.spec, old.spec));
  }
  const st = isObj(obj.status) ? obj.status : {};
  if (st.qosClass !== undefined && old && isObj(old.status) && old.status.qosClass && st.qosClass !== old.status.qosClass)
    out.push(cause.invalid(child('status', 'qosClass'), st.qosClass, 'field is immutable'));
  return out;
}

export const podKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  resource: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  subresources: ['status', 'binding', 'eviction', 'ephemeralcontainers'],
  // the spec is checked by validatePodSpec (with the field paths of pod templates)
  schema: objectSchema({ spec: podSpecSchema, status: podStatusSchema }),
  default: safeDefault(defaultPod),
  validate: safeValidate(validatePod),
  deletion: {
    // a pod on a node ends gracefully: the node stops its containers, then deletes it with grace 0
    gracePeriodSeconds: (o, requested) => {
      const spec = asObj(o.spec);
      if (!spec || !spec.nodeName) return 0;
      return requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
    },
  },
  selectableFields: {
    'spec.nodeName': sel('spec', 'nodeName'),
    'spec.schedulerName': sel('spec', 'schedulerName'),
    'spec.serviceAccountName': sel('spec', 'serviceAccountName'),
    'spec.restartPolicy': sel('spec', 'restartPolicy'),
    'status.phase': sel('status', 'phase'),
    'status.podIP': sel('status', 'podIP'),
    'status.nominatedNodeName': sel('status', 'nominatedNodeName'),
  },
};
