// What the HPA remembers between syncs, per HPA (kube keeps it in memory too, so a restart starts
// afresh): recent recommendations for the stabilization windows, and recent scale events for the
// scaling policies. And the normalization of a desired replica count: without `behavior`, kube's
// fixed rules (scale-down stabilization, scale-up at most max(2×current, 4), min/max); with it, the
// scaleUp/scaleDown stabilization windows and the Pods/Percent policies per period with
// selectPolicy Max/Min/Disabled. Each sets AbleToScale and ScalingLimited with kube's reasons.
import type { HPAScalingRules } from '@skiff/api';
import type { SetCondition } from './conditions.ts';

interface Recommendation {
  replicas: number;
  at: number;
}
interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

export interface NormalizationArgs {
  key: string;
  scaleUp: HPAScalingRules;
  scaleDown: HPAScalingRules;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  desiredReplicas: number;
}

const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

export class ScalingHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly scaleUpEvents = new Map<string, ScaleEvent[]>();
  private readonly scaleDownEvents = new Map<string, ScaleEvent[]>();

  constructor(
    /** the scale-down stabilization window when an HPA sets none (kube: 5 minutes) */
    private readonly downscaleStabilizationMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUpEvents.delete(key);
    this.scaleDownEvents.delete(key);
  }

  /** The first sync of an HPA remembers the current size (no scale-down right after a restart). */
  recordInitialRecommendation(key: string, currentReplicas: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: currentReplicas, at: this.now() }]);
  }

  /** Without behavior: the highest recommendation within the downscale window (recording this one). */
  private stabilize(key: string, desired: number): number {
    const t = this.now();
    const recs = this.recommendations.get(key) ?? [];
    const cutoff = t - this.downscaleStabilizationMs;
    let max = desired;
    let old = -1;
    recs.forEach((r, i) => {
      if (r.at < cutoff) old = i;
      else if (r.replicas > max) max = r.replicas;
    });
    this.record(key, recs, old, desired, t);
    return max;
  }

  private record(key: string, recs: Recommendation[], oldIndex: number, replicas: number, at: number): void {
    if (oldIndex >= 0) recs[oldIndex] = { replicas, at };
    else recs.push({ replicas, at });
    this.recommendations.set(key, recs);
  }

  /** normalizeDesiredReplicas: no `behavior` on the HPA. */
  normalize(key: string, current: number, desired: number, min: number, max: number, set: SetCondition): number {
    const stabilized = this.stabilize(key, desired);
    if (stabilized !== desired) set('AbleToScale', 'True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation');
    else set('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
    const r = convertWithRules(current, stabilized, min, max);
    set('ScalingLimited', r.replicas === stabilized ? 'False' : 'True', r.reason, r.message);
    return r.replicas;
  }

  /** normalizeDesiredReplicasWithBehaviors. */
  normalizeWithBehaviors(a: NormalizationArgs, set: SetCondition): number {
    const scaleDown = { ...a.scaleDown, stabilizationWindowSeconds: a.scaleDown.stabilizationWindowSeconds ?? this.downscaleStabilizationMs / 1000 };
    const args = { ...a, scaleDown };
    const s = this.stabilizeWithBehaviors(args);
    if (s.recommendation !== a.desiredReplicas) set('AbleToScale', 'True', s.reason, s.message);
    else set('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
    const r = this.convertWithBehaviorRate({ ...args, desiredReplicas: s.recommendation });
    set('ScalingLimited', r.replicas === s.recommendation ? 'False' : 'True', r.reason, r.message);
    return r.replicas;
  }

  /** stabilizeRecommendationWithBehaviors: the lowest recent within the up window, the highest within the down window. */
  stabilizeWithBehaviors(a: NormalizationArgs): { recommendation: number; reason: string; message: string } {
    const t = this.now();
    const upCutoff = t - (a.scaleUp.stabilizationWindowSeconds ?? 0) * 1000;
    const downCutoff = t - (a.scaleDown.stabilizationWindowSeconds ?? 0) * 1000;
    let up = a.desiredReplicas;
    let down = a.desiredReplicas;
    let old = -1;
    const recs = this.recommendations.get(a.key) ?? [];
    recs.forEach((r, i) => {
      if (r.at > upCutoff) up = Math.min(r.replicas, up);
      if (r.at > downCutoff) down = Math.max(r.replicas, down);
      if (r.at < upCutoff && r.at < downCutoff) old = i;
    });
    let recommendation = a.currentReplicas;
    if (recommendation < up) recommendation = up;
    if (recommendation > down) recommendation = down;
    this.record(a.key, recs, old, a.desiredReplicas, t);
    return a.desiredReplicas >= a.currentReplicas
      ? { recommendation, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
      : { recommendation, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
  }

  /** convertDesiredReplicasWithBehaviorRate: the policies' limits for this period, then min/max. */
  convertWithBehaviorRate(a: NormalizationArgs): { replicas: number; reason: string; message: string } {
    const ups = this.scaleUpEvents.get(a.key) ?? [];
    const downs = this.scaleDownEvents.get(a.key) ?? [];
    if (a.desiredReplicas > a.currentReplicas) {
      const limit = Math.max(this.scaleUpLimit(a.currentReplicas, ups, downs, a.scaleUp), a.currentReplicas);
      const byRate = a.maxReplicas > limit;
      const maximum = byRate ? limit : a.maxReplicas;
      if (a.desiredReplicas > maximum)
        return byRate
          ? { replicas: maximum, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }
          : { replicas: maximum, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
    } else if (a.desiredReplicas < a.currentReplicas) {
      const limit = Math.min(this.scaleDownLimit(a.currentReplicas, ups, downs, a.scaleDown), a.currentReplicas);
      const byRate = a.minReplicas < limit;
      const minimum = byRate ? limit : a.minReplicas;
      if (a.desiredReplicas < minimum)
        return byRate
          ? { replicas: minimum, reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' }
          : { replicas: minimum, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
    }
    return { replicas: a.desiredReplicas, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  }

  /** calculateScaleUpLimitWithScalingRules */
  scaleUpLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: HPAScalingRules): number {
    if (rules.selectPolicy === 'Disabled') return current;
    const min = rules.selectPolicy === 'Min';
    let result = min ? INT32_MAX : INT32_MIN;
    for (const p of rules.policies ?? []) {
      const start = current - this.changeInPeriod(p.periodSeconds, ups) + this.changeInPeriod(p.periodSeconds, downs);
      // rounded up: a small percent of a small count must still add a pod
      const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
      result = min ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  /** calculateScaleDownLimitWithBehaviors: for scaling down, the smallest change (Min) is the largest count. */
  scaleDownLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: HPAScalingRules): number {
    if (rules.selectPolicy === 'Disabled') return current;
    const min = rules.selectPolicy === 'Min';
    let result = min ? INT32_MIN : INT32_MAX;
    for (const p of rules.policies ?? []) {
      const start = current - this.changeInPeriod(p.periodSeconds, ups) + this.changeInPeriod(p.periodSeconds, downs);
      const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
      result = min ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  private changeInPeriod(periodSeconds: number, events: ScaleEvent[]): number {
    const cutoff = this.now() - periodSeconds * 1000;
    let n = 0;
    for (const e of events) if (e.at > cutoff) n += e.change;
    return n;
  }

  /** storeScaleEvent: only with behavior; an outdated slot (older than the longest policy period) is reused. */
  storeScaleEvent(key: string, behavior: { scaleUp?: HPAScalingRules; scaleDown?: HPAScalingRules } | undefined, prev: number, next: number): void {
    if (!behavior) return;
    const up = next > prev;
    const rules = (up ? behavior.scaleUp : behavior.scaleDown) ?? {};
    const map = up ? this.scaleUpEvents : this.scaleDownEvents;
    const events = map.get(key) ?? [];
    const t = this.now();
    const longest = Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds));
    for (const e of events) if (e.at < t - longest * 1000) e.outdated = true;
    const ev = { change: Math.abs(next - prev), at: t, outdated: false };
    const i = events.findIndex((e) => e.outdated);
    if (i >= 0) events[i] = ev;
    else events.push(ev);
    map.set(key, events);
  }
}

/** convertDesiredReplicasWithRules: min/max, and no faster scale-up than max(2×current, 4). */
export function convertWithRules(current: number, desired: number, min: number, max: number): { replicas: number; reason: string; message: string } {
  const scaleUpLimit = Math.trunc(Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM));
  const byRate = max > scaleUpLimit;
  const maximum = byRate ? scaleUpLimit : max;
  if (desired < min) return { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  if (desired > maximum)
    return byRate
      ? { replicas: maximum, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }
      : { replicas: maximum, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
  return { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
}
