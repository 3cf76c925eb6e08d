// autoscaling/v2 HorizontalPodAutoscaler: scales a target's scale subresource between minReplicas
// and maxReplicas from metrics (Resource, ContainerResource, Pods, Object, External), with optional
// scaling behavior. Defaults and checks as Kubernetes' autoscaling/v2 defaults and validation.
import { asArr, asObj, cause, child, ensureObj, isObj, setDefault, type Obj, type StatusCause } from '../causes.ts';
import { validateLabelSelector } from '../label-selector.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { isDNS1123Label, isQualifiedName, nameIsPathSegment, tryParseQuantity, validateInt, validateString } from '../validation.ts';
import { objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';
import { validateNonNegative } from './workload-status.ts';

export const DEFAULT_CPU_UTILIZATION = 80;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const MAX_PERIOD_SECONDS = 1800;
const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
/** MetricSpec.type -> the member holding its source */
const SOURCE_FIELD: Record<string, string> = { Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' };

const ref = S.obj({ kind: S.str, name: S.str, apiVersion: S.str });
const selector = S.obj({ matchLabels: S.strMap, matchExpressions: S.arr(S.obj({ key: S.str, operator: S.str, values: S.strArr })) });
const metricId = S.obj({ name: S.str, selector });
const target = S.obj({ type: S.str, value: S.quantity, averageValue: S.quantity, averageUtilization: S.int });
const current = S.obj({ value: S.quantity, averageValue: S.quantity, averageUtilization: S.int });
const rules = S.obj({ stabilizationWindowSeconds: S.int, selectPolicy: S.str, policies: S.arr(S.obj({ type: S.str, value: S.int, periodSeconds: S.int })), tolerance: S.quantity });

const hpaSchema = {
  spec: S.obj({
    scaleTargetRef: ref,
    minReplicas: S.int,
    maxReplicas: S.int,
    metrics: S.arr(
      S.obj({
        type: S.str,
        object: S.obj({ describedObject: ref, target, metric: metricId }),
        pods: S.obj({ metric: metricId, target }),
        resource: S.obj({ name: S.str, target }),
        containerResource: S.obj({ name: S.str, target, container: S.str }),
        external: S.obj({ metric: metricId, target }),
      }),
    ),
    behavior: S.obj({ scaleUp: rules, scaleDown: rules }),
  }),
  status: S.obj({
    observedGeneration: S.int64,
    lastScaleTime: S.str,
    currentReplicas: S.int,
    desiredReplicas: S.int,
    currentMetrics: S.arr(
      S.obj({
        type: S.str,
        object: S.obj({ metric: metricId, current, describedObject: ref }),
        pods: S.obj({ metric: metricId, current }),
        resource: S.obj({ name: S.str, current }),
        containerResource: S.obj({ name: S.str, current, container: S.str }),
        external: S.obj({ metric: metricId, current }),
      }),
    ),
    conditions: S.arr(S.obj({ type: S.str, status: S.str, lastTransitionTime: S.str, reason: S.str, message: S.str })),
  }),
};

/** Fill the unset fields of scaling rules from Kubernetes' defaults (GenerateHPAScaleUpRules / ScaleDownRules). */
function defaultRules(behavior: Obj, which: 'scaleUp' | 'scaleDown'): void {
  const r = ensureObj(behavior, which);
  if (!r) return;
  if (which === 'scaleUp') setDefault(r, 'stabilizationWindowSeconds', 0); // scale-down's window stays unset: the controller's flag decides
  setDefault(r, 'selectPolicy', 'Max');
  setDefault(
    r,
    'policies',
    which === 'scaleUp'
      ? [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ]
      : [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  );
}

export function defaultHPASpec(spec: Obj): void {
  setDefault(spec, 'minReplicas', 1);
  if (asArr(spec.metrics).length === 0)
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  const behavior = asObj(spec.behavior);
  if (behavior) {
    defaultRules(behavior, 'scaleUp');
    defaultRules(behavior, 'scaleDown');
  }
}

/** ValidateCrossVersionObjectReference. */
export function validateTargetRef(r: unknown, field: string): StatusCause[] {
  if (!isObj(r)) return [cause.required(child(field, 'kind')), cause.required(child(field, 'name'))];
  const out = [...validateString(r.kind, child(field, 'kind'), (s) => nameIsPathSegment(s), { required: true })];
  out.push(...validateString(r.name, child(field, 'name'), (s) => nameIsPathSegment(s), { required: true }));
  if (typeof r.apiVersion === 'string' && r.apiVersion.split('/').length > 2)
    out.push(cause.invalid(child(field, 'apiVersion'), r.apiVersion, `unexpected GroupVersion string: ${r.apiVersion}`));
  return out;
}

const positive = (v: unknown) => tryParseQuantity(v as string | number) ?? 0;

function validateTarget(t: Obj, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (!t.type) out.push(cause.required(child(field, 'type'), 'must specify a metric target type'));
  if (!['Utilization', 'Value', 'AverageValue'].includes(t.type as string)) out.push(cause.invalid(child(field, 'type'), t.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  for (const f of ['value', 'averageValue'])
    if (t[f] !== undefined && t[f] !== null && !(positive(t[f]) > 0)) out.push(cause.invalid(child(field, f), t[f], 'must be positive'));
  if (typeof t.averageUtilization === 'number' && t.averageUtilization < 1) out.push(cause.invalid(child(field, 'averageUtilization'), t.averageUtilization, 'must be greater than 0'));
  return out;
}

function validateMetricId(m: unknown, field: string): StatusCause[] {
  const id = asObj(m) ?? {};
  const name = typeof id.name === 'string' ? id.name : '';
  const out = name ? nameIsPathSegment(name).map((m) => cause.invalid(child(field, 'name'), name, m)) : [cause.required(child(field, 'name'), 'must specify a metric name')];
  out.push(...validateLabelSelector(id.selector, child(field, 'selector')));
  return out;
}

function validateResourceName(name: unknown, field: string): StatusCause[] {
  if (typeof name !== 'string' || !name) return [cause.required(field, 'must specify a resource name')];
  const errs = isQualifiedName(name);
  if (errs.length) return errs.map((m) => cause.invalid(field, name, m));
  if (!name.includes('/') && !['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.startsWith('hugepages-'))
    return [cause.invalid(field, name, 'must be a standard resource for containers')];
  return [];
}

/** One source (the member named by `key`) of a MetricSpec. */
function validateSource(key: string, src: Obj, field: string): StatusCause[] {
  const t = asObj(src.target) ?? {};
  const tf = child(field, 'target');
  const set = (f: string) => t[f] !== undefined && t[f] !== null;
  const out: StatusCause[] = [];
  if (key === 'resource' || key === 'containerResource') {
    out.push(...validateResourceName(src.name, child(field, 'name')));
    if (key === 'containerResource') out.push(...validateString(src.container, child(field, 'container'), isDNS1123Label, { required: true }));
    out.push(...validateTarget(t, tf));
    if (!set('averageUtilization') && !set('averageValue')) out.push(cause.required(child(tf, 'averageUtilization'), 'must set either a target raw value or a target utilization'));
    if (set('averageUtilization') && set('averageValue')) out.push(cause.forbidden(child(tf, 'averageValue'), 'may not set both a target raw value and a target utilization'));
    return out;
  }
  if (key === 'object') out.push(...validateTargetRef(src.describedObject, child(field, 'describedObject')));
  out.push(...validateMetricId(src.metric, child(field, 'metric')));
  out.push(...validateTarget(t, tf));
  if (key === 'pods' && !set('averageValue')) out.push(cause.required(child(tf, 'averageValue'), 'must specify a positive target averageValue'));
  if (key === 'object' && !set('value') && !set('averageValue')) out.push(cause.required(child(tf, 'averageValue'), 'must set either a target value or averageValue'));
  if (key === 'external') {
    if (!set('value') && !set('averageValue')) out.push(cause.required(child(tf, 'averageValue'), 'must set either a target value for metric or a per-pod target'));
    if (set('value') && set('averageValue')) out.push(cause.forbidden(child(tf, 'value'), 'may not set both a target value for metric and a per-pod target'));
  }
  return out;
}

function validateMetricSpec(m: unknown, field: string): StatusCause[] {
  if (!isObj(m)) return [];
  const out: StatusCause[] = [];
  if (!m.type) out.push(cause.required(child(field, 'type'), 'must specify a metric source type'));
  const present = Object.values(SOURCE_FIELD).filter((k) => m[k] !== undefined && m[k] !== null);
  if (present.length === 1) out.push(...validateSource(present[0]!, asObj(m[present[0]!]) ?? {}, child(field, present[0]!)));
  const expected = SOURCE_FIELD[m.type as string];
  if (!expected) out.push(cause.notSupported(child(field, 'type'), m.type ?? '', METRIC_SOURCE_TYPES));
  else if (m[expected] === undefined || m[expected] === null) out.push(cause.required(child(field, expected), 'must populate information for the given metric source'));
  if (present.length !== 1) for (const k of present.filter((k) => k !== expected)) out.push(cause.forbidden(child(field, k), 'must populate the given metric source only'));
  return out;
}

function validateRules(r: unknown, field: string): StatusCause[] {
  if (!isObj(r)) return [];
  const out: StatusCause[] = [];
  const w = r.stabilizationWindowSeconds;
  if (typeof w === 'number' && w < 0) out.push(cause.invalid(child(field, 'stabilizationWindowSeconds'), w, 'must be greater than or equal to zero'));
  if (typeof w === 'number' && w > MAX_STABILIZATION_WINDOW_SECONDS)
    out.push(cause.invalid(child(field, 'stabilizationWindowSeconds'), w, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  if (r.selectPolicy !== undefined && r.selectPolicy !== null && !['Disabled', 'Max', 'Min'].includes(r.selectPolicy as string))
    out.push(cause.notSupported(child(field, 'selectPolicy'), r.selectPolicy, ['Disabled', 'Max', 'Min']));
  const policies = asArr(r.policies);
  if (policies.length === 0) out.push(cause.required(child(field, 'policies'), 'must specify at least one Policy'));
  policies.forEach((p, i) => {
    if (!isObj(p)) return;
    const f = child(field, 'policies', i);
    if (p.type !== 'Pods' && p.type !== 'Percent') out.push(cause.notSupported(child(f, 'type'), p.type ?? '', ['Percent', 'Pods']));
    const v = typeof p.value === 'number' ? p.value : 0;
    if (v <= 0) out.push(cause.invalid(child(f, 'value'), v, 'must be greater than zero'));
    const ps = typeof p.periodSeconds === 'number' ? p.periodSeconds : 0;
    if (ps <= 0) out.push(cause.invalid(child(f, 'periodSeconds'), ps, 'must be greater than zero'));
    if (ps > MAX_PERIOD_SECONDS) out.push(cause.invalid(child(f, 'periodSeconds'), ps, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return out;
}

/** validateHorizontalPodAutoscalerSpec: bounds first; metrics only with a valid target; behavior only with valid metrics. */
export function validateHPASpec(spec: unknown): StatusCause[] {
  if (!isObj(spec)) return spec === undefined || spec === null ? [cause.required('spec')] : [];
  const out: StatusCause[] = [];
  const min = spec.minReplicas;
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 0;
  out.push(...validateInt(min, 'spec.minReplicas', { min: 1 }));
  if (max < 1) out.push(cause.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (typeof min === 'number' && max < min) out.push(cause.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  const refErrs = validateTargetRef(spec.scaleTargetRef, 'spec.scaleTargetRef');
  if (refErrs.length) return [...out, ...refErrs];
  const metricErrs = asArr(spec.metrics).flatMap((m, i) => validateMetricSpec(m, child('spec.metrics', i)));
  if (metricErrs.length) return [...out, ...metricErrs];
  const b = asObj(spec.behavior);
  if (b) out.push(...validateRules(b.scaleUp, 'spec.behavior.scaleUp'), ...validateRules(b.scaleDown, 'spec.behavior.scaleDown'));
  return out;
}

export const horizontalPodAutoscalerKind: SkiffKindDefinition = {
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  resource: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  subresources: ['status'],
  schema: objectSchema(hpaSchema),
  default: safeDefault((o) => {
    const spec = asObj(o.spec);
    if (spec) defaultHPASpec(spec);
  }),
  validate: safeValidate((o) => {
    const out = structure(o, hpaSchema);
    if (out.length) return out;
    out.push(...validateHPASpec(o.spec));
    out.push(...validateNonNegative(o.status, ['currentReplicas', 'desiredReplicas']));
    return out;
  }),
};
