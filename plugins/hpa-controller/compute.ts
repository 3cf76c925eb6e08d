// computeReplicasForMetrics: a replica proposal per metric of the HPA (Resource and
// ContainerResource from the resource metrics API; Pods, Object and External need a custom or
// external metrics API Skiff does not serve), the largest one wins; invalid metrics make the HPA
// stay (all invalid, or some invalid and the rest would scale down). Sets ScalingActive, records
// the Warning events kube records, and fills one MetricStatus per metric.
import { labelSelectorPredicate, parseMilliQuantity, type HorizontalPodAutoscaler, type LabelPredicate, type MetricSpec, type MetricStatus, type Pod, type Scale } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import type { ConditionType, SetCondition } from './conditions.ts';
import { getResourceMetric } from './metrics-client.ts';
import { rawResourceReplicas, resourceReplicas, type CalcOptions } from './replicas.ts';

export interface ComputeDeps {
  kernel: Pick<Kernel, 'list'>;
  /** pods of a namespace that a selector picks (the pod informer) */
  pods(namespace: string, selector: LabelPredicate): Pod[];
  warn(reason: string, message: string): void;
  calc: CalcOptions;
}

export interface MetricsResult {
  /** -1: no decision (the error says why) */
  replicas: number;
  metric: string;
  statuses: MetricStatus[];
  error?: Error;
}

interface Proposal {
  replicas: number;
  metric: string;
}

class MetricError extends Error {
  constructor(
    message: string,
    readonly condition: { type: ConditionType; status: 'True' | 'False'; reason: string; message: string },
  ) {
    super(message);
  }
}

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** resource.NewMilliQuantity(v, DecimalSI).String() */
export function milliQuantity(v: number): string {
  if (v === 0) return '0';
  return v % 1000 === 0 ? String(v / 1000) : `${v}m`;
}

/** getUnableComputeReplicaCountCondition: a Warning event and ScalingActive False. */
function unable(d: ComputeDeps, reason: string, err: Error): MetricError['condition'] {
  d.warn(reason, err.message);
  return { type: 'ScalingActive', status: 'False', reason, message: `the HPA was unable to compute the replica count: ${err.message}` };
}

async function resourceMetric(d: ComputeDeps, hpa: HorizontalPodAutoscaler, spec: MetricSpec, current: number, selector: string, match: LabelPredicate, status: MetricStatus[], i: number): Promise<Proposal> {
  const container = spec.type === 'ContainerResource';
  const src = (container ? spec.containerResource : spec.resource)!;
  const ns = hpa.metadata.namespace!;
  const target = src.target;
  const fail = (e: unknown) => {
    const err = new Error(`failed to get ${src.name} utilization: ${msg(e)}`);
    throw new MetricError(err.message, unable(d, container ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric', err));
  };
  const metrics = await getResourceMetric(d.kernel, src.name, ns, selector, container ? spec.containerResource!.container : '').catch((e) =>
    fail(`unable to get metrics for resource ${src.name}: ${msg(e)}`),
  );
  const pods = d.pods(ns, match);
  const statusOf = (current: { averageUtilization?: number; averageValue?: string }): MetricStatus =>
    container
      ? { type: 'ContainerResource', containerResource: { name: src.name, current, container: spec.containerResource!.container } }
      : { type: 'Resource', resource: { name: src.name, current } };
  if (target.averageValue !== undefined) {
    let r: { replicas: number; usage: number };
    try {
      r = rawResourceReplicas(current, parseMilliQuantity(target.averageValue), src.name, pods, metrics!.metrics, d.calc);
    } catch (e) {
      return fail(e);
    }
    status[i] = statusOf({ averageValue: milliQuantity(r.usage) });
    return { replicas: r.replicas, metric: `${src.name} resource` };
  }
  if (target.averageUtilization === undefined) {
    const err = new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    throw new MetricError(err.message, unable(d, container ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric', err));
  }
  let r: ReturnType<typeof resourceReplicas>;
  try {
    r = resourceReplicas(current, target.averageUtilization, src.name, container ? spec.containerResource!.container : '', pods, metrics!.metrics, d.calc);
  } catch (e) {
    return fail(e);
  }
  status[i] = statusOf({ averageUtilization: r.utilization, averageValue: milliQuantity(r.rawUtilization) });
  return { replicas: r.replicas, metric: container ? `${src.name} container resource utilization (percentage of request)` : `${src.name} resource utilization (percentage of request)` };
}

/** computeReplicasForMetric: one metric's proposal, or a MetricError with its condition. */
async function computeForMetric(d: ComputeDeps, hpa: HorizontalPodAutoscaler, spec: MetricSpec, current: number, selector: string, match: LabelPredicate, status: MetricStatus[], i: number): Promise<Proposal> {
  const wrap = async (prefix: string, f: () => Promise<Proposal>) => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof MetricError) throw new MetricError(`${prefix}: ${e.message}`, e.condition);
      throw e;
    }
  };
  const noApi = (reason: string, prefix: string, what: string) => {
    const err = new Error(`unable to get ${what}: no ${reason === 'FailedGetExternalMetric' ? 'external.metrics.k8s.io' : 'custom.metrics.k8s.io'} API is served`);
    return new MetricError(`${prefix}: ${err.message}`, unable(d, reason, err));
  };
  switch (spec.type) {
    case 'Resource':
      return wrap(`failed to get ${spec.resource?.name} resource metric value`, () => resourceMetric(d, hpa, spec, current, selector, match, status, i));
    case 'ContainerResource':
      return wrap(`failed to get ${spec.containerResource?.container} container metric value`, () => resourceMetric(d, hpa, spec, current, selector, match, status, i));
    case 'Pods':
      throw noApi('FailedGetPodsMetric', 'failed to get pods metric value', `metric ${spec.pods?.metric?.name}`);
    case 'Object':
      throw noApi('FailedGetObjectMetric', 'failed to get object metric value', `metric ${spec.object?.metric?.name}`);
    case 'External':
      throw noApi('FailedGetExternalMetric', `failed to get ${spec.external?.metric?.name} external metric value`, `external metric ${spec.external?.metric?.name}`);
    default: {
      const err = new Error(`unknown metric source type "${String((spec as { type?: string }).type)}"`);
      throw new MetricError(err.message, unable(d, 'InvalidMetricSourceType', err));
    }
  }
}

export async function computeReplicasForMetrics(d: ComputeDeps, hpa: HorizontalPodAutoscaler, scale: Scale, set: SetCondition): Promise<MetricsResult> {
  const selector = scale.status?.selector ?? '';
  if (!selector) {
    d.warn('SelectorRequired', 'selector is required');
    set('ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
    return { replicas: -1, metric: '', statuses: [], error: new Error('selector is required') };
  }
  let match: LabelPredicate;
  try {
    match = labelSelectorPredicate(selector);
  } catch (e) {
    const m = `couldn't convert selector into a corresponding internal selector object: ${msg(e)}`;
    d.warn('InvalidSelector', m);
    set('ScalingActive', 'False', 'InvalidSelector', m);
    return { replicas: -1, metric: '', statuses: [], error: new Error(m) };
  }
  const specs = hpa.spec?.metrics ?? [];
  const current = scale.spec?.replicas ?? 0;
  const statuses: MetricStatus[] = specs.map(() => ({ type: '' }) as unknown as MetricStatus);
  let replicas = 0;
  let metric = '';
  let invalid = 0;
  let first: MetricError | undefined;
  for (let i = 0; i < specs.length; i++) {
    try {
      const p = await computeForMetric(d, hpa, specs[i]!, current, selector, match, statuses, i);
      if (replicas === 0 || p.replicas > replicas) {
        replicas = p.replicas;
        metric = p.metric;
      }
    } catch (e) {
      if (!(e instanceof MetricError)) throw e;
      first ??= e;
      invalid++;
    }
  }
  const error = first ? new Error(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.message}`) : undefined;
  if (invalid >= specs.length || (invalid > 0 && replicas < current)) {
    if (first) set(first.condition.type, first.condition.status, first.condition.reason, first.condition.message);
    return { replicas: -1, metric: '', statuses, error: error ?? new Error('no metrics to compute a replica count from') };
  }
  set('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`);
  return { replicas, metric, statuses, error };
}
