// reconcileAutoscaler: one sync of one HPA, as kube's horizontal controller — get the target's
// scale (AbleToScale), bound it by min/max or compute the metrics' proposal (ScalingActive),
// normalize it (stabilization, rate limits; ScalingLimited), write the new size through the scale
// subresource with a SuccessfulRescale event, and write status (currentReplicas, desiredReplicas,
// currentMetrics, lastScaleTime, conditions) only when it changed.
import { HORIZONTAL_POD_AUTOSCALERS, type HorizontalPodAutoscaler, type HorizontalPodAutoscalerStatus, type MetricStatus } from '@skiff/api';
import { now as kubeNow, type Kernel } from '@skiff/kernel';
import type { ScalingHistory } from './behavior.ts';
import { computeReplicasForMetrics, type ComputeDeps } from './compute.ts';
import { setCondition, type SetCondition } from './conditions.ts';
import { getScale, updateScale } from './target.ts';

export interface AutoscalerDeps extends ComputeDeps {
  kernel: Kernel;
  history: ScalingHistory;
  event(hpa: HorizontalPodAutoscaler, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** Deep equality of JSON values, whatever the key order (equality.Semantic.DeepEqual for a status). */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => same(x, (b as unknown[])[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Sync one HPA. Throws an Error describing what failed (status and events are written first). */
export async function reconcileAutoscaler(d: AutoscalerDeps, shared: HorizontalPodAutoscaler, key: string): Promise<void> {
  const hpa = clone(shared);
  const original = clone(hpa.status);
  const status: HorizontalPodAutoscalerStatus = (hpa.status = clone(hpa.status) ?? { desiredReplicas: 0 });
  const set: SetCondition = (type, value, reason, message) => setCondition(status, kubeNow(), type, value, reason, message);
  const spec = hpa.spec!;
  const ref = spec.scaleTargetRef;
  const reference = `${ref.kind}/${hpa.metadata.namespace}/${ref.name}`;
  const warn = (reason: string, message: string) => d.event(hpa, 'Warning', reason, message);
  const deps: AutoscalerDeps = { ...d, warn };

  const target = await getScale(d.kernel, hpa.metadata.namespace!, ref);
  if (!('scale' in target)) {
    warn('FailedGetScale', target.error.message);
    set('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${target.error.message}`);
    await updateStatusIfNeeded(d, hpa, original);
    const what = { apiVersion: 'invalid API version in scale target reference', mapping: 'unable to determine resource for scale target reference', scale: `failed to query scale subresource for ${reference}` };
    throw new Error(`${what[target.stage]}: ${target.error.message}`);
  }
  set('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
  const scale = target.scale;
  const currentReplicas = scale.spec?.replicas ?? 0;
  d.history.recordInitialRecommendation(key, currentReplicas);

  const minReplicas = spec.minReplicas ?? 1;
  let desiredReplicas = 0;
  let rescaleReason = '';
  let rescale = true;
  let metricStatuses: MetricStatus[] | undefined;
  let retErr: Error | undefined;
  if (currentReplicas === 0 && minReplicas !== 0) {
    // autoscaling is off while the target is scaled to zero
    desiredReplicas = 0;
    rescale = false;
    set('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
  } else if (currentReplicas > spec.maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desiredReplicas = spec.maxReplicas;
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desiredReplicas = minReplicas;
  } else {
    const r = await computeReplicasForMetrics(deps, hpa, scale, set);
    metricStatuses = r.statuses;
    if (r.error && r.replicas === -1) {
      setStatus(status, currentReplicas, status.desiredReplicas ?? 0, metricStatuses, false);
      await updateStatusIfNeeded(d, hpa, original);
      warn('FailedComputeMetricsReplicas', r.error.message);
      throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${r.error.message}`);
    }
    if (r.error) retErr = r.error;
    let rescaleMetric = '';
    if (r.replicas > desiredReplicas) {
      desiredReplicas = r.replicas;
      rescaleMetric = r.metric;
    }
    if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
    if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
    desiredReplicas = spec.behavior
      ? d.history.normalizeWithBehaviors(
          {
            key,
            scaleUp: spec.behavior.scaleUp ?? { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
            scaleDown: spec.behavior.scaleDown ?? { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
            minReplicas,
            maxReplicas: spec.maxReplicas,
            currentReplicas,
            desiredReplicas,
          },
          set,
        )
      : d.history.normalize(key, currentReplicas, desiredReplicas, minReplicas, spec.maxReplicas, set);
    rescale = desiredReplicas !== currentReplicas;
  }

  if (rescale) {
    try {
      await updateScale(d.kernel, target, desiredReplicas);
    } catch (e) {
      d.event(hpa, 'Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${msg(e)}`);
      set('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg(e)}`);
      setStatus(status, currentReplicas, status.desiredReplicas ?? 0, metricStatuses, false);
      await updateStatusIfNeeded(d, hpa, original);
      throw new Error(`failed to rescale ${reference}: ${msg(e)}`);
    }
    set('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
    d.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
    d.history.storeScaleEvent(key, spec.behavior, currentReplicas, desiredReplicas);
  } else desiredReplicas = currentReplicas;
  setStatus(status, currentReplicas, desiredReplicas, metricStatuses, rescale);
  await updateStatusIfNeeded(d, hpa, original);
  if (retErr) throw retErr;
}

/** setStatus: what kube keeps (conditions, lastScaleTime) and what this sync found. */
function setStatus(status: HorizontalPodAutoscalerStatus, current: number, desired: number, metrics: MetricStatus[] | undefined, rescaled: boolean): void {
  status.currentReplicas = current;
  status.desiredReplicas = desired;
  if (metrics && metrics.length) status.currentMetrics = metrics;
  else delete status.currentMetrics;
  if (rescaled) status.lastScaleTime = kubeNow();
}

async function updateStatusIfNeeded(d: AutoscalerDeps, hpa: HorizontalPodAutoscaler, original: HorizontalPodAutoscalerStatus | undefined): Promise<void> {
  if (same(original, hpa.status)) return;
  try {
    await d.kernel.update(HORIZONTAL_POD_AUTOSCALERS, hpa, { subresource: 'status' });
  } catch (e) {
    d.event(hpa, 'Warning', 'FailedUpdateStatus', msg(e));
    throw new Error(`failed to update status for ${hpa.metadata.name}: ${msg(e)}`);
  }
}
