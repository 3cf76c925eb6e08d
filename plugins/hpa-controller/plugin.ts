// kube's horizontal pod autoscaler (autoscaling/v2 HorizontalPodAutoscaler): every sync period,
// each HPA's target is scaled through its `scale` subresource to what its Resource metrics (from
// the resource metrics API, metrics.k8s.io, served by the metrics-server plugin) ask for, within
// minReplicas..maxReplicas and the scaling behavior. See autoscaler.ts for one sync.
import { defineController, splitKey } from '@skiff/client';
import { HORIZONTAL_POD_AUTOSCALERS, isConflict, PODS, type HorizontalPodAutoscaler, type Pod } from '@skiff/api';
import { reconcileAutoscaler, type AutoscalerDeps } from './autoscaler.ts';
import { ScalingHistory } from './behavior.ts';

export interface HpaControllerConfig {
  /** how often each HPA is synced (kube's --horizontal-pod-autoscaler-sync-period) */
  syncPeriodSeconds: number;
  /** scale-down stabilization when an HPA sets none (--horizontal-pod-autoscaler-downscale-stabilization) */
  downscaleStabilizationSeconds: number;
  /** the usage ratio may stray this far from 1 without scaling (--horizontal-pod-autoscaler-tolerance) */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period */
  cpuInitializationPeriodSeconds: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay */
  initialReadinessDelaySeconds: number;
}

export default defineController<HpaControllerConfig>({
  name: 'hpa-controller',
  version: '0.1.0',
  for: HORIZONTAL_POD_AUTOSCALERS,
  workers: 5,
  component: 'horizontal-pod-autoscaler',
  configSchema: {
    type: 'object',
    properties: {
      syncPeriodSeconds: { type: 'number', minimum: 0.05, default: 15 },
      downscaleStabilizationSeconds: { type: 'number', minimum: 0, default: 300 },
      tolerance: { type: 'number', minimum: 0, default: 0.1 },
      cpuInitializationPeriodSeconds: { type: 'number', minimum: 0, default: 300 },
      initialReadinessDelaySeconds: { type: 'number', minimum: 0, default: 30 },
    },
  },
  setup(c) {
    const cfg = c.config;
    const hpas = c.informer<HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALERS);
    const pods = c.informer<Pod>(PODS);
    const history = new ScalingHistory(cfg.downscaleStabilizationSeconds * 1000);
    const periodMs = cfg.syncPeriodSeconds * 1000;
    /** when each HPA was last synced, and at which generation */
    const synced = new Map<string, { at: number; generation: number }>();
    const deps: Omit<AutoscalerDeps, 'calc'> = {
      kernel: c.kernel,
      history,
      pods: (ns, match) => pods.lister.list(ns, match),
      warn: () => {},
      event: (hpa, type, reason, message) => c.recorder.record(hpa, { type, reason, message }),
    };
    return async (key) => {
      const { namespace: ns, name } = splitKey(key);
      const hpa = hpas.lister.get(ns, name);
      if (!hpa) {
        history.forget(key);
        synced.delete(key);
        return;
      }
      // kube syncs each HPA once per period; a spec change (new generation) syncs now, the
      // controller's own status writes do not
      const t = performance.now();
      const generation = hpa.metadata.generation ?? 0;
      const last = synced.get(key);
      if (last && last.generation === generation && t - last.at < periodMs - 5) return { requeueAfterMs: periodMs - (t - last.at) };
      synced.set(key, { at: t, generation });
      const calc = {
        tolerances: { scaleUp: tolerance(hpa, 'scaleUp', cfg.tolerance), scaleDown: tolerance(hpa, 'scaleDown', cfg.tolerance) },
        cpuInitializationPeriodMs: cfg.cpuInitializationPeriodSeconds * 1000,
        delayOfInitialReadinessStatusMs: cfg.initialReadinessDelaySeconds * 1000,
        now: Date.now(),
      };
      try {
        await reconcileAutoscaler({ ...deps, calc }, hpa, key);
      } catch (e) {
        // as kube: logged, and the HPA is synced again next period (events and conditions say why)
        if (isConflict(e)) c.logger.debug('hpa sync conflict', { key });
        else c.logger.info('hpa sync failed', { key, error: e instanceof Error ? e.message : String(e) });
      }
      return { requeueAfterMs: periodMs };
    };
  },
});

/** A rule's tolerance (HPAScalingRules.tolerance, alpha in kube 1.33) or the controller's. */
function tolerance(hpa: HorizontalPodAutoscaler, which: 'scaleUp' | 'scaleDown', fallback: number): number {
  const t = hpa.spec?.behavior?.[which]?.tolerance;
  const v = typeof t === 'number' ? t : typeof t === 'string' ? Number(t) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}
