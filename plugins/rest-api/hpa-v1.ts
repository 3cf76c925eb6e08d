// HorizontalPodAutoscaler in autoscaling/v1 <-> autoscaling/v2 (the version the kernel stores), as
// Kubernetes' autoscaling/v1 conversion: v1 has only targetCPUUtilizationPercentage; what it cannot
// say (other metrics, current metrics, conditions, behavior) rides in round-trip annotations.
import type { KObject } from '@skiff/kernel';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP = [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];
const DEFAULT_CPU_UTILIZATION = 80;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Drop undefined members (Go's omitempty on the converted structs). */
const clean = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const isCpuUtilization = (m: Obj) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.averageUtilization !== undefined;

// ---- metric specs and statuses: v2 shape <-> v1 (v2beta1-style) shape

/** A v2 metric spec (`target`) or status (`current`) in v1's shape, whose fields are named for it (targetValue, currentValue, ...). */
function metricToV1(m: Obj, part: 'target' | 'current'): Obj {
  const v = (x: Obj | undefined) => x?.[part] ?? {};
  const f = (name: string) => part + name; // targetAverageValue, currentAverageValue, ...
  switch (m.type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = m[key] ?? {};
      return { type: m.type, [key]: clean({ name: s.name, [f('AverageUtilization')]: v(s).averageUtilization, [f('AverageValue')]: v(s).averageValue, container: s.container }) };
    }
    case 'Pods':
      return { type: 'Pods', pods: clean({ metricName: m.pods?.metric?.name, [f('AverageValue')]: v(m.pods).averageValue, selector: m.pods?.metric?.selector }) };
    case 'Object':
      return { type: 'Object', object: clean({ target: m.object?.describedObject, metricName: m.object?.metric?.name, [f('Value')]: v(m.object).value, selector: m.object?.metric?.selector, averageValue: v(m.object).averageValue }) };
    case 'External':
      return { type: 'External', external: clean({ metricName: m.external?.metric?.name, metricSelector: m.external?.metric?.selector, [f('Value')]: v(m.external).value, [f('AverageValue')]: v(m.external).averageValue }) };
    default:
      return { type: m.type };
  }
}

const specToV1 = (m: Obj) => metricToV1(m, 'target');
const statusToV1 = (m: Obj) => metricToV1(m, 'current');

function specToV2(m: Obj): Obj {
  const metric = (name: unknown, selector: unknown) => clean({ name, selector });
  switch (m.type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = m[key] ?? {};
      const target = s.targetAverageUtilization !== undefined ? { type: 'Utilization', averageUtilization: s.targetAverageUtilization } : { type: 'AverageValue', averageValue: s.targetAverageValue };
      return { type: m.type, [key]: clean({ name: s.name, target, container: s.container }) };
    }
    case 'Pods':
      return { type: 'Pods', pods: { metric: metric(m.pods?.metricName, m.pods?.selector), target: { type: 'AverageValue', averageValue: m.pods?.targetAverageValue } } };
    case 'Object': {
      const o = m.object ?? {};
      const target = o.averageValue !== undefined ? { type: 'AverageValue', averageValue: o.averageValue } : { type: 'Value', value: o.targetValue };
      return { type: 'Object', object: { describedObject: o.target, metric: metric(o.metricName, o.selector), target } };
    }
    case 'External': {
      const e = m.external ?? {};
      const target = e.targetAverageValue !== undefined ? { type: 'AverageValue', averageValue: e.targetAverageValue } : { type: 'Value', value: e.targetValue };
      return { type: 'External', external: { metric: metric(e.metricName, e.metricSelector), target } };
    }
    default:
      return { type: m.type };
  }
}

function statusToV2(m: Obj): Obj {
  const metric = (name: unknown, selector: unknown) => clean({ name, selector });
  switch (m.type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = m[key] ?? {};
      return { type: m.type, [key]: clean({ name: s.name, current: clean({ averageUtilization: s.currentAverageUtilization, averageValue: s.currentAverageValue }), container: s.container }) };
    }
    case 'Pods':
      return { type: 'Pods', pods: { metric: metric(m.pods?.metricName, m.pods?.selector), current: clean({ averageValue: m.pods?.currentAverageValue }) } };
    case 'Object':
      return { type: 'Object', object: { describedObject: m.object?.target, metric: metric(m.object?.metricName, m.object?.selector), current: clean({ value: m.object?.currentValue, averageValue: m.object?.averageValue }) } };
    case 'External':
      return { type: 'External', external: { metric: metric(m.external?.metricName, m.external?.metricSelector), current: clean({ value: m.external?.currentValue, averageValue: m.external?.currentAverageValue }) } };
    default:
      return { type: m.type };
  }
}

// behavior rides as Go marshals the internal type: field names capitalized (ScaleUp, PeriodSeconds, ...)
const capitalize = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(capitalize) : isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k[0]!.toUpperCase() + k.slice(1), capitalize(x)])) : v;
const uncapitalize = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(uncapitalize) : isObj(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k[0]!.toLowerCase() + k.slice(1), uncapitalize(x)])) : v;

function parse(s: unknown): unknown {
  if (typeof s !== 'string') return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** An autoscaling/v2 HPA as autoscaling/v1 shows it. */
export function hpaToV1(o: KObject): KObject {
  const spec: Obj = isObj(o.spec) ? o.spec : {};
  const status: Obj | undefined = isObj(o.status) ? o.status : undefined;
  const metrics: Obj[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const annotations: Record<string, string> = Object.fromEntries(Object.entries(o.metadata.annotations ?? {}).filter(([k]) => !ROUND_TRIP.includes(k)));
  const other = metrics.filter((m) => !isCpuUtilization(m)).map(specToV1);
  if (other.length) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(other);
  const current: Obj[] = Array.isArray(status?.currentMetrics) ? status!.currentMetrics : [];
  if (current.length) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(current.map(statusToV1));
  if (isObj(spec.behavior)) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(capitalize(spec.behavior));
  if (Array.isArray(status?.conditions) && status!.conditions.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(status!.conditions);
  const cpu = metrics.find(isCpuUtilization);
  const cpuNow = current.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.current?.averageUtilization !== undefined);
  const { annotations: _a, ...meta } = o.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...meta, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas ?? 0, targetCPUUtilizationPercentage: cpu?.resource.target.averageUtilization }),
    status: clean({
      observedGeneration: status?.observedGeneration,
      lastScaleTime: status?.lastScaleTime,
      currentReplicas: status?.currentReplicas ?? 0,
      desiredReplicas: status?.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: cpuNow?.resource.current.averageUtilization,
    }),
  };
}

/** An autoscaling/v1 HPA (as a client wrote it) in autoscaling/v2; round-trip annotations are consumed. */
export function hpaToV2(o: KObject): KObject {
  const spec: Obj = isObj(o.spec) ? o.spec : {};
  const status: Obj | undefined = isObj(o.status) ? o.status : undefined;
  const ann = o.metadata?.annotations ?? {};
  const metrics: Obj[] = [];
  const other = parse(ann[METRIC_SPECS_ANNOTATION]);
  if (Array.isArray(other)) metrics.push(...other.filter(isObj).map(specToV2));
  if (typeof spec.targetCPUUtilizationPercentage === 'number')
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  // v1 once left the CPU default to the controller; in v2 it is explicit
  if (!metrics.length) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } });
  const behavior = uncapitalize(parse(ann[BEHAVIOR_ANNOTATION]));
  let currentMetrics: Obj[] | undefined;
  const statuses = parse(ann[METRIC_STATUSES_ANNOTATION]);
  if (Array.isArray(statuses)) currentMetrics = statuses.filter(isObj).map(statusToV2);
  else if (typeof status?.currentCPUUtilizationPercentage === 'number')
    currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
  const conditions = parse(ann[CONDITIONS_ANNOTATION]);
  const annotations = Object.fromEntries(Object.entries(ann).filter(([k]) => !ROUND_TRIP.includes(k)));
  const { annotations: _a, ...meta } = o.metadata ?? {};
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...meta, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, metrics, behavior: isObj(behavior) ? behavior : undefined }),
    ...(status
      ? {
          status: clean({
            observedGeneration: status.observedGeneration,
            lastScaleTime: status.lastScaleTime,
            currentReplicas: status.currentReplicas,
            desiredReplicas: status.desiredReplicas,
            currentMetrics,
            conditions: Array.isArray(conditions) ? conditions : undefined,
          }),
        }
      : {}),
  };
}
