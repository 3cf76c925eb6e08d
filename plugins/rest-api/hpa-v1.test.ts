// autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler conversion, as Kubernetes converts.
import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { BEHAVIOR_ANNOTATION, CONDITIONS_ANNOTATION, hpaToV1, hpaToV2, METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION } from './hpa-v1.ts';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const meta = { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '7' };
const cpu = (n: number) => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: n } } });

describe('autoscaling/v1 <-> v2', () => {
  it('a v1 HPA is a v2 one with a CPU utilization metric', () => {
    const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta, spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 } } as KObject;
    const v2 = hpaToV2(v1);
    expect(v2).toEqual({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta, spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, metrics: [cpu(60)] } });
    expect(hpaToV1(v2)).toEqual({ ...v1, status: { currentReplicas: 0, desiredReplicas: 0 } });
  });

  it('without a CPU target, v1 means the default 80%', () => {
    const v2 = hpaToV2({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta, spec: { scaleTargetRef: ref, maxReplicas: 3 } } as KObject);
    expect((v2.spec as any).metrics).toEqual([cpu(80)]);
  });

  it('what v1 cannot say rides in the round-trip annotations', () => {
    const behavior = { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } };
    const pods = { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } };
    const ext = { type: 'External', external: { metric: { name: 'queue', selector: { matchLabels: { q: 'a' } } }, target: { type: 'Value', value: '30' } } };
    const conditions = [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'ok', lastTransitionTime: '2024-01-01T00:00:00Z' }];
    const currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42, averageValue: '210m' } } }];
    const v2 = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { ...meta, annotations: { mine: 'kept' } },
      spec: { scaleTargetRef: ref, minReplicas: 2, maxReplicas: 9, metrics: [pods, cpu(70), ext], behavior },
      status: { observedGeneration: 3, currentReplicas: 4, desiredReplicas: 5, lastScaleTime: '2024-01-01T00:00:00Z', currentMetrics, conditions },
    } as KObject;
    const v1 = hpaToV1(v2);
    expect(v1.spec).toEqual({ scaleTargetRef: ref, minReplicas: 2, maxReplicas: 9, targetCPUUtilizationPercentage: 70 });
    expect(v1.status).toEqual({ observedGeneration: 3, lastScaleTime: '2024-01-01T00:00:00Z', currentReplicas: 4, desiredReplicas: 5, currentCPUUtilizationPercentage: 42 });
    const ann = v1.metadata.annotations!;
    expect(ann.mine).toBe('kept');
    expect(JSON.parse(ann[METRIC_SPECS_ANNOTATION]!)).toEqual([
      { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } },
      { type: 'External', external: { metricName: 'queue', metricSelector: { matchLabels: { q: 'a' } }, targetValue: '30' } },
    ]);
    expect(JSON.parse(ann[METRIC_STATUSES_ANNOTATION]!)).toEqual([{ type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 42, currentAverageValue: '210m' } }]);
    // Go marshals the internal behavior type: capitalized field names
    expect(JSON.parse(ann[BEHAVIOR_ANNOTATION]!)).toEqual({ ScaleDown: { StabilizationWindowSeconds: 60, SelectPolicy: 'Max', Policies: [{ Type: 'Percent', Value: 100, PeriodSeconds: 15 }] } });
    expect(JSON.parse(ann[CONDITIONS_ANNOTATION]!)).toEqual(conditions);
    // and back: nothing lost, the annotations consumed (other metrics first, as kube orders them)
    const back = hpaToV2(v1);
    expect(back.metadata.annotations).toEqual({ mine: 'kept' });
    expect((back.spec as any).metrics).toEqual([pods, ext, cpu(70)]);
    expect((back.spec as any).behavior).toEqual(behavior);
    expect(back.status).toEqual(v2.status);
  });

  it('converting to v1 replaces stale round-trip annotations', () => {
    const v2 = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { ...meta, annotations: { [METRIC_SPECS_ANNOTATION]: '[{"type":"Pods"}]' } }, spec: { scaleTargetRef: ref, maxReplicas: 2, metrics: [cpu(50)] } } as KObject;
    expect(hpaToV1(v2).metadata.annotations).toBeUndefined();
  });
});
