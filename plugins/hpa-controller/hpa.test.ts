// The HPA on a real kernel: hollow pods report 90% CPU of their request against a 50% target; the
// HPA scales the Deployment's scale (spec.replicas) up to maxReplicas, then back down to
// minReplicas once usage drops, with kube's status, conditions and events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, HORIZONTAL_POD_AUTOSCALERS } from '@skiff/api';
import type { MetricsEnv } from '@skiff/plugin-metrics-server/testing';
import { condition, deployment, eventsFor, eventsIncluding, eventually, getHpa, hpa, keepReplicas, replicasOf, startHpaEnv } from './testing.ts';

describe('hpa-controller with hollow pods', () => {
  let env: MetricsEnv;
  beforeAll(async () => {
    env = await startHpaEnv({ syncPeriodSeconds: 0.5 });
  });
  afterAll(() => env?.stop());

  it('scales a Deployment up to maxReplicas at 90% of a 50% target, then down when usage drops', async () => {
    const k = env.kernel;
    await k.create(DEPLOYMENTS, deployment('web', 2));
    const pods = keepReplicas(k, 'web', '90m');
    try {
      await eventually(() => pods.pods === 2, 10_000, 'two pods');
      await k.create(
        HORIZONTAL_POD_AUTOSCALERS,
        hpa('web', {
          minReplicas: 2,
          maxReplicas: 8,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
          behavior: {
            scaleUp: { policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
            scaleDown: { stabilizationWindowSeconds: 1, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
          },
        }),
      );
      // 2 → 4 → 8: each step doubles at most (Percent 100 per second); 90/50 of 8 would be 15
      await eventually(async () => (await replicasOf(k, 'web')) === 8, 30_000, 'scaled to maxReplicas');
      const up = await eventually(async () => {
        const h = await getHpa(k, 'web');
        return h.status?.currentReplicas === 8 && h.status.currentMetrics?.[0]?.resource?.current.averageUtilization === 90 && condition(h, 'ScalingLimited')?.reason === 'TooManyReplicas' ? h : undefined;
      }, 30_000, 'status at 8 replicas');
      expect(up.status).toMatchObject({
        currentReplicas: 8,
        desiredReplicas: 8,
        currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '90m' } } }],
      });
      expect(up.status?.lastScaleTime).toMatch(/Z$/);
      expect(condition(up, 'AbleToScale')).toMatchObject({ status: 'True' });
      expect(condition(up, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' });
      expect(condition(up, 'ScalingLimited')).toMatchObject({ status: 'True', message: 'the desired replica count is more than the maximum replica count' });
      const events = await eventsFor(k, 'web');
      expect(events).toContain('SuccessfulRescale: New size: 4; reason: cpu resource utilization (percentage of request) above target');
      expect(events).toContain('SuccessfulRescale: New size: 8; reason: cpu resource utilization (percentage of request) above target');

      // usage drops to 10%: 8 → 2 (ceil(0.2 × 8) = 2), then minReplicas holds it at 2
      await pods.setCpu('10m');
      await eventually(async () => (await replicasOf(k, 'web')) === 2, 30_000, 'scaled down to minReplicas');
      const down = await eventually(async () => {
        const h = await getHpa(k, 'web');
        return h.status?.currentReplicas === 2 && condition(h, 'ScalingLimited')?.reason === 'TooFewReplicas' ? h : undefined;
      }, 30_000, 'status at 2 replicas');
      expect(down.status?.currentMetrics?.[0]?.resource?.current).toEqual({ averageUtilization: 10, averageValue: '10m' });
      expect(await eventsIncluding(k, 'web', ['SuccessfulRescale: New size: 2; reason: All metrics below target'])).toContain('SuccessfulRescale: New size: 2; reason: All metrics below target');
      expect((await k.get(DEPLOYMENTS, 'default', 'web')).spec).toMatchObject({ replicas: 2 });
    } finally {
      await pods.stop();
    }
  });
});
