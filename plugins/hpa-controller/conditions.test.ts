// kube's answers when the HPA cannot act, or acts on bounds alone: target missing (FailedGetScale),
// pods without requests (FailedGetResourceMetric), target at zero (ScalingDisabled), above
// maxReplicas; AverageValue targets on memory; and a restarted controller that does not scale
// down before its stabilization window (the window starts again with the current size).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, HORIZONTAL_POD_AUTOSCALERS, PODS } from '@skiff/api';
import { usagePod, type MetricsEnv } from '@skiff/plugin-metrics-server/testing';
import hpaController from './plugin.ts';
import { condition, deployment, eventsFor, eventsIncluding, eventually, getHpa, hpa, keepReplicas, replicasOf, sleep, startHpaEnv } from './testing.ts';

const cpu50 = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }];

describe('hpa-controller: conditions, bounds and restarts', () => {
  let env: MetricsEnv;
  beforeAll(async () => {
    env = await startHpaEnv({ syncPeriodSeconds: 0.3 });
  });
  afterAll(() => env?.stop());

  it('reports a missing target as FailedGetScale', async () => {
    const k = env.kernel;
    await k.create(HORIZONTAL_POD_AUTOSCALERS, { ...hpa('nope', { maxReplicas: 3, metrics: cpu50 }) });
    const h = await eventually(async () => {
      const x = await getHpa(k, 'nope');
      return condition(x, 'AbleToScale') ? x : undefined;
    });
    expect(condition(h, 'AbleToScale')).toMatchObject({
      status: 'False',
      reason: 'FailedGetScale',
      message: `the HPA controller was unable to get the target's current scale: deployments.apps "nope" not found`,
    });
    expect(await eventsIncluding(k, 'nope', ['FailedGetScale: deployments.apps "nope" not found'])).toContain('FailedGetScale: deployments.apps "nope" not found');
  });

  it('reports pods without a CPU request as FailedGetResourceMetric', async () => {
    const k = env.kernel;
    await k.create(DEPLOYMENTS, deployment('noreq', 1));
    await k.create(PODS, usagePod({ name: 'noreq-0', node: 'hollow-0', labels: { app: 'noreq' }, cpuUsage: '50m', containers: [{ name: 'app' }] }));
    await k.create(HORIZONTAL_POD_AUTOSCALERS, hpa('noreq', { maxReplicas: 3, metrics: cpu50 }));
    const h = await eventually(async () => {
      const x = await getHpa(k, 'noreq');
      // (before the first scrape arrives it is "no metrics returned from resource metrics API")
      return condition(x, 'ScalingActive')?.message?.includes('missing request') ? x : undefined;
    }, 15_000, 'FailedGetResourceMetric');
    expect(condition(h, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedGetResourceMetric',
      message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod noreq-0',
    });
    expect(h.status).toMatchObject({ currentReplicas: 1, desiredReplicas: 0 });
    // (the Events are written after the status: wait for both)
    const expected = [
      'FailedGetResourceMetric: failed to get cpu utilization: missing request for cpu in container app of Pod noreq-0',
      'FailedComputeMetricsReplicas: invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container app of Pod noreq-0',
    ];
    const events = await eventsIncluding(k, 'noreq', expected);
    for (const e of expected) expect(events).toContain(e);
  });

  it('leaves a target scaled to zero alone and brings one above maxReplicas down to it', async () => {
    const k = env.kernel;
    await k.create(DEPLOYMENTS, deployment('zero', 0));
    await k.create(HORIZONTAL_POD_AUTOSCALERS, hpa('zero', { maxReplicas: 3, metrics: cpu50 }));
    const z = await eventually(async () => {
      const x = await getHpa(k, 'zero');
      return condition(x, 'ScalingActive') ? x : undefined;
    });
    expect(condition(z, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
    expect(await replicasOf(k, 'zero')).toBe(0);

    await k.create(DEPLOYMENTS, deployment('big', 5));
    await k.create(HORIZONTAL_POD_AUTOSCALERS, hpa('big', { minReplicas: 1, maxReplicas: 3, metrics: cpu50 }));
    await eventually(async () => (await replicasOf(k, 'big')) === 3, 10_000, 'big at maxReplicas');
    await eventually(async () => (await eventsFor(k, 'big')).includes('SuccessfulRescale: New size: 3; reason: Current number of replicas above Spec.MaxReplicas'));
  });

  it('scales on an AverageValue memory target', async () => {
    const k = env.kernel;
    await k.create(DEPLOYMENTS, deployment('mem', 2));
    for (const i of [0, 1]) await k.create(PODS, usagePod({ name: `mem-${i}`, node: `hollow-${i}`, labels: { app: 'mem' }, memoryUsage: '96Mi' }));
    await k.create(HORIZONTAL_POD_AUTOSCALERS, hpa('mem', { maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '32Mi' } } }] }));
    // 96Mi average against 32Mi: ceil(3 × 2) = 6, limited to max(2×2, 4) = 4 per step without behavior
    await eventually(async () => (await replicasOf(k, 'mem')) === 4, 10_000, 'mem scaled');
    const h = await eventually(async () => {
      const x = await getHpa(k, 'mem');
      // a sync whose metrics are missing (new pods not reported yet) writes kube's empty entry: wait for a measured one
      return x.status?.currentMetrics?.[0]?.type === 'Resource' ? x : undefined;
    });
    expect(h.status?.currentMetrics?.[0]).toEqual({ type: 'Resource', resource: { name: 'memory', current: { averageValue: String(96 * 2 ** 20) } } });
    expect(condition(h, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
    expect(await eventsIncluding(k, 'mem', ['SuccessfulRescale: New size: 4; reason: memory resource above target'])).toContain('SuccessfulRescale: New size: 4; reason: memory resource above target');
  });

  it('a restarted controller holds a scale-down for the stabilization window', async () => {
    const k = env.kernel;
    await k.create(DEPLOYMENTS, deployment('calm', 4));
    const pods = keepReplicas(k, 'calm', '50m');
    try {
      await k.create(HORIZONTAL_POD_AUTOSCALERS, hpa('calm', { minReplicas: 1, maxReplicas: 8, metrics: cpu50 }));
      await eventually(async () => condition(await getHpa(k, 'calm'), 'ScalingActive')?.reason === 'ValidMetricFound', 15_000, 'calm measured');
      await env.host.remove('hpa-controller');
      await pods.setCpu('5m');
      await env.host.load([{ descriptor: hpaController, config: { leaderElection: false, syncPeriodSeconds: 0.3 } }]);
      const h = await eventually(async () => {
        const x = await getHpa(k, 'calm');
        return x.status?.currentMetrics?.[0]?.resource?.current.averageUtilization === 5 ? x : undefined;
      }, 15_000, 'low usage seen');
      await sleep(1000);
      expect(await replicasOf(k, 'calm')).toBe(4);
      expect(condition(await getHpa(k, 'calm'), 'AbleToScale')).toMatchObject({ status: 'True', reason: 'ScaleDownStabilized' });
      expect(h.status?.desiredReplicas).toBe(4);
      // nothing changes between syncs: no status write
      const rv = (await getHpa(k, 'calm')).metadata.resourceVersion;
      await sleep(1000);
      expect((await getHpa(k, 'calm')).metadata.resourceVersion).toBe(rv);
    } finally {
      await pods.stop();
    }
  });
});
