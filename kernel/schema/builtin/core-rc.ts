// core/v1 ReplicationController: the oldest workload kind. Its selector is a plain label map, and
// Kubernetes defaults the selector (and the object's labels) from the template's labels.
import { asObj, cause, child, isObj, setDefault, strEntries, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { validateInt, validateLabels } from '../validation.ts';
import { objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';
import { podTemplateSchema } from './pod-schema.ts';
import { validateReplicaCounters } from './workload-status.ts';
import { defaultPodTemplate, validatePodTemplate } from './workload.ts';

const conditionSchema = S.obj({ type: S.str, status: S.str, lastTransitionTime: S.str, reason: S.str, message: S.str });

const rcSpecSchema = S.obj({ replicas: S.int, minReadySeconds: S.int, selector: S.strMap, template: podTemplateSchema });
const rcStatusSchema = S.obj({
  replicas: S.int,
  fullyLabeledReplicas: S.int,
  readyReplicas: S.int,
  availableReplicas: S.int,
  observedGeneration: S.int64,
  conditions: S.arr(conditionSchema),
});

const isEmptyMap = (v: unknown) => !isObj(v) || Object.keys(v).length === 0;

/** SetDefaults_ReplicationController: selector and labels from the template's labels, replicas 1. */
function defaultRC(o: Obj): void {
  const spec = asObj(o.spec);
  if (!spec) return;
  const t = asObj(spec.template);
  const labels = t && isObj(t.metadata) && isObj(t.metadata.labels) ? t.metadata.labels : undefined;
  if (labels) {
    if (isEmptyMap(spec.selector)) spec.selector = { ...labels };
    const meta = asObj(o.metadata);
    if (meta && isEmptyMap(meta.labels)) meta.labels = { ...labels };
  }
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

/** ValidateReplicationControllerSpec (and ValidatePodTemplateSpecForRC). */
function validateRCSpec(spec: unknown): StatusCause[] {
  if (spec === undefined || spec === null) return [cause.required('spec')];
  if (!isObj(spec)) return [];
  const out: StatusCause[] = [];
  out.push(...validateInt(spec.minReadySeconds, 'spec.minReadySeconds', { min: 0 }));
  const selector = strEntries(spec.selector);
  if (selector.length === 0) out.push(cause.required('spec.selector'));
  else out.push(...validateLabels(spec.selector, 'spec.selector'));
  out.push(...validateInt(spec.replicas, 'spec.replicas', { min: 0 }));
  const t = spec.template;
  if (t === undefined || t === null) return [...out, cause.required('spec.template')];
  if (!isObj(t)) return out;
  const labels = isObj(t.metadata) && isObj(t.metadata.labels) ? t.metadata.labels : {};
  if (selector.length && !selector.every(([k, v]) => labels[k] === v))
    out.push(cause.invalid('spec.template.metadata.labels', labels, 'selector does not match labels in spec.template'));
  out.push(...validatePodTemplate(t, 'spec.template', ['Always']));
  const ps = asObj(t.spec);
  if (ps && ps.activeDeadlineSeconds !== undefined && ps.activeDeadlineSeconds !== null)
    out.push(cause.forbidden(child('spec.template', 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicationController is not Supported'));
  return out;
}

const rcProps = { spec: rcSpecSchema, status: rcStatusSchema };

export const replicationControllerKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  resource: 'replicationcontrollers',
  singular: 'replicationcontroller',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  subresources: ['status', 'scale'],
  schema: objectSchema(rcProps),
  default: safeDefault(defaultRC),
  validate: safeValidate((o) => {
    const out = structure(o, rcProps);
    out.push(...validateRCSpec(o.spec));
    out.push(...validateReplicaCounters(o.status, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']));
    return out;
  }),
};
