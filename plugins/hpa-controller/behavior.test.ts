// Normalization of a desired count: kube's fixed rules without `behavior`, and with it the
// stabilization windows and the Pods/Percent policies per period (Max, Min, Disabled), with the
// AbleToScale / ScalingLimited reasons.
import { describe, expect, it } from 'vitest';
import type { HPAScalingRules } from '@skiff/api';
import { convertWithRules, ScalingHistory, type NormalizationArgs } from './behavior.ts';

const UP: HPAScalingRules = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }, { type: 'Percent', value: 100, periodSeconds: 60 }] };
const DOWN: HPAScalingRules = { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] };

function setup() {
  const clock = { t: 1_000_000_000 };
  const h = new ScalingHistory(300_000, () => clock.t);
  const conditions: Record<string, [string, string]> = {};
  const set = (type: string, status: string, reason: string) => void (conditions[type] = [status, reason]);
  return { clock, h, conditions, set };
}

const args = (a: Partial<NormalizationArgs>): NormalizationArgs => ({ key: 'ns/h', scaleUp: UP, scaleDown: DOWN, minReplicas: 1, maxReplicas: 100, currentReplicas: 10, desiredReplicas: 10, ...a });

describe('without behavior', () => {
  it('bounds by min, max and max(2×current, 4)', () => {
    expect(convertWithRules(1, 10, 1, 20)).toMatchObject({ replicas: 4, reason: 'ScaleUpLimit' });
    expect(convertWithRules(5, 11, 1, 20)).toMatchObject({ replicas: 10, reason: 'ScaleUpLimit' });
    expect(convertWithRules(5, 11, 1, 8)).toMatchObject({ replicas: 8, reason: 'TooManyReplicas' });
    expect(convertWithRules(5, 0, 2, 8)).toMatchObject({ replicas: 2, reason: 'TooFewReplicas' });
    expect(convertWithRules(5, 7, 2, 8)).toMatchObject({ replicas: 7, reason: 'DesiredWithinRange' });
  });

  it('stabilizes scale-down at the highest recommendation of the window', () => {
    const { clock, h, conditions, set } = setup();
    h.recordInitialRecommendation('k', 10);
    clock.t += 60_000;
    expect(h.normalize('k', 10, 4, 1, 20, set)).toBe(10);
    expect(conditions.AbleToScale).toEqual(['True', 'ScaleDownStabilized']);
    expect(conditions.ScalingLimited).toEqual(['False', 'DesiredWithinRange']);
    clock.t += 250_000; // the 10 is 310 s old; the 4 is 250 s old
    expect(h.normalize('k', 10, 3, 1, 20, set)).toBe(4);
    clock.t += 301_000;
    expect(h.normalize('k', 4, 3, 1, 20, set)).toBe(3);
    expect(conditions.AbleToScale).toEqual(['True', 'ReadyForNewScale']);
    expect(h.normalize('k', 3, 30, 1, 20, set)).toBe(6);
    expect(conditions.ScalingLimited).toEqual(['True', 'ScaleUpLimit']);
  });
});

describe('with behavior', () => {
  it('limits a scale-up by the policies (Max: the largest change)', () => {
    const { h, conditions, set } = setup();
    expect(h.normalizeWithBehaviors(args({ desiredReplicas: 100 }), set)).toBe(20);
    expect(conditions.ScalingLimited).toEqual(['True', 'ScaleUpLimit']);
    expect(h.normalizeWithBehaviors(args({ currentReplicas: 10, desiredReplicas: 13 }), set)).toBe(13);
    expect(conditions.ScalingLimited).toEqual(['False', 'DesiredWithinRange']);
    expect(h.normalizeWithBehaviors(args({ desiredReplicas: 100, maxReplicas: 15 }), set)).toBe(15);
    expect(conditions.ScalingLimited).toEqual(['True', 'TooManyReplicas']);
  });

  it('Min picks the smallest change; Disabled does not scale that way', () => {
    const { h, set, conditions } = setup();
    expect(h.normalizeWithBehaviors(args({ desiredReplicas: 100, scaleUp: { ...UP, selectPolicy: 'Min' } }), set)).toBe(14);
    expect(h.normalizeWithBehaviors(args({ desiredReplicas: 100, scaleUp: { ...UP, selectPolicy: 'Disabled' } }), set)).toBe(10);
    expect(conditions.ScalingLimited).toEqual(['True', 'ScaleUpLimit']);
    const h2 = setup();
    const down = { ...DOWN, stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' as const };
    expect(h2.h.normalizeWithBehaviors(args({ currentReplicas: 10, desiredReplicas: 2, scaleDown: down }), h2.set)).toBe(10);
    expect(h2.conditions.ScalingLimited).toEqual(['True', 'ScaleDownLimit']);
  });

  it('counts the changes already made in the period', () => {
    const { clock, h, set } = setup();
    const behavior = { scaleUp: UP, scaleDown: DOWN };
    h.storeScaleEvent('ns/h', behavior, 5, 10);
    clock.t += 30_000;
    // the period started at 5: Pods 5+4 = 9, Percent 10 → 10, not less than current
    expect(h.normalizeWithBehaviors(args({ desiredReplicas: 100 }), set)).toBe(10);
    clock.t += 31_000; // the event left the 60 s period
    expect(h.normalizeWithBehaviors(args({ desiredReplicas: 100 }), set)).toBe(20);
  });

  it('limits a scale-down by Percent (rounded down) and respects minReplicas', () => {
    const { h, set, conditions } = setup();
    const down = { ...DOWN, stabilizationWindowSeconds: 0 };
    expect(h.normalizeWithBehaviors(args({ currentReplicas: 100, desiredReplicas: 10, scaleDown: down }), set)).toBe(90);
    expect(conditions.ScalingLimited).toEqual(['True', 'ScaleDownLimit']);
    const pods = { stabilizationWindowSeconds: 0, selectPolicy: 'Max' as const, policies: [{ type: 'Pods' as const, value: 50, periodSeconds: 60 }] };
    expect(h.normalizeWithBehaviors(args({ key: 'other', currentReplicas: 10, desiredReplicas: 1, minReplicas: 3, scaleDown: pods }), set)).toBe(3);
    expect(conditions.ScalingLimited).toEqual(['True', 'TooFewReplicas']);
  });

  it('stabilizes both ways within the windows', () => {
    const { clock, h, set, conditions } = setup();
    const up = { ...UP, stabilizationWindowSeconds: 60 };
    const down = { ...DOWN, stabilizationWindowSeconds: 120, policies: [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }] };
    const a = (current: number, desired: number) => args({ currentReplicas: current, desiredReplicas: desired, scaleUp: up, scaleDown: down });
    // nothing recorded: no stabilization
    expect(h.normalizeWithBehaviors(a(10, 4), set)).toBe(4);
    expect(conditions.AbleToScale).toEqual(['True', 'ReadyForNewScale']);
    clock.t += 30_000;
    // up: the lowest recommendation of the last 60 s (4) holds the scale-up back
    expect(h.normalizeWithBehaviors(a(4, 8), set)).toBe(4);
    expect(conditions.AbleToScale).toEqual(['True', 'ScaleUpStabilized']);
    clock.t += 31_000;
    expect(h.normalizeWithBehaviors(a(4, 8), set)).toBe(8);
    clock.t += 29_000;
    // down: the highest of the last 120 s (8) holds the scale-down back
    expect(h.normalizeWithBehaviors(a(8, 2), set)).toBe(8);
    expect(conditions.AbleToScale).toEqual(['True', 'ScaleDownStabilized']);
    clock.t += 92_000;
    expect(h.normalizeWithBehaviors(a(8, 2), set)).toBe(2);
  });
});
