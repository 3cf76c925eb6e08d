import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { horizontalPodAutoscalerKind as hpa } from './autoscaling.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const obj = (spec: unknown): KObject => ({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' }, spec }) as KObject;
const admit = (o: KObject) => {
  hpa.default!(o);
  return hpa.validate!(o);
};
const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

describe('HorizontalPodAutoscaler (autoscaling/v2)', () => {
  test('defaults minReplicas and a CPU utilization metric of 80%', () => {
    const o = obj({ scaleTargetRef: ref, maxReplicas: 5 });
    expect(admit(o)).toEqual([]);
    expect(o.spec).toEqual({
      scaleTargetRef: ref,
      maxReplicas: 5,
      minReplicas: 1,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    });
  });
  test('a given behavior gets the unset rules filled in', () => {
    const o = obj({ scaleTargetRef: ref, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
    expect(admit(o)).toEqual([]);
    expect((o.spec as any).behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
  });
  test('replica bounds', () => {
    expect(admit(obj({ scaleTargetRef: ref, minReplicas: 3, maxReplicas: 2 }))).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.maxReplicas', message: 'Invalid value: 2: must be greater than or equal to `minReplicas`' },
    ]);
    expect(f(admit(obj({ scaleTargetRef: ref, minReplicas: 0 })))).toEqual(['spec.minReplicas:FieldValueInvalid', 'spec.maxReplicas:FieldValueInvalid']);
  });
  test.each([
    ['target without kind and name', { scaleTargetRef: { apiVersion: 'apps/v1' }, maxReplicas: 3 }, ['spec.scaleTargetRef.kind:FieldValueRequired', 'spec.scaleTargetRef.name:FieldValueRequired']],
    ['name with a slash', { scaleTargetRef: { ...ref, name: 'a/b' }, maxReplicas: 3 }, ['spec.scaleTargetRef.name:FieldValueInvalid']],
    ['metric type unknown', { scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Magic' }] }, ['spec.metrics[0].type:FieldValueNotSupported']],
    ['resource without target', { scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] }, ['spec.metrics[0].resource.target.averageUtilization:FieldValueRequired']],
    [
      'both utilization and value',
      { scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi', averageUtilization: 50 } } }] },
      ['spec.metrics[0].resource.target.averageValue:FieldValueForbidden'],
    ],
    ['type without its source', { scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Pods' }] }, ['spec.metrics[0].pods:FieldValueRequired']],
    [
      'two sources',
      { scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 5 } }, pods: {} }] },
      ['spec.metrics[0].pods:FieldValueForbidden'],
    ],
    ['pods needs averageValue', { scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'Value', value: '1' } } }] }, ['spec.metrics[0].pods.target.averageValue:FieldValueRequired']],
    ['negative target', { scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '-1' } } }] }, ['spec.metrics[0].resource.target.averageValue:FieldValueInvalid']],
    [
      'bad scaling policy',
      { scaleTargetRef: ref, maxReplicas: 3, behavior: { scaleUp: { selectPolicy: 'Most', stabilizationWindowSeconds: 4000, policies: [{ type: 'Nodes', value: 0, periodSeconds: 1801 }] } } },
      ['spec.behavior.scaleUp.stabilizationWindowSeconds:FieldValueInvalid', 'spec.behavior.scaleUp.selectPolicy:FieldValueNotSupported', 'spec.behavior.scaleUp.policies[0].type:FieldValueNotSupported', 'spec.behavior.scaleUp.policies[0].value:FieldValueInvalid', 'spec.behavior.scaleUp.policies[0].periodSeconds:FieldValueInvalid'],
    ],
    ['empty policies stay empty', { scaleTargetRef: ref, maxReplicas: 3, behavior: { scaleDown: { policies: [] } } }, ['spec.behavior.scaleDown.policies:FieldValueRequired']],
  ])('%s', (_n, spec, expected) => {
    expect(f(admit(obj(spec)))).toEqual(expected);
  });
  test('status', () => {
    const o = obj({ scaleTargetRef: ref, maxReplicas: 3 });
    o.status = {
      currentReplicas: 2,
      desiredReplicas: 3,
      lastScaleTime: '2024-01-01T00:00:00Z',
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '450m' } } }],
      conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' }],
    };
    expect(admit(o)).toEqual([]);
    o.status = { currentReplicas: -1, desiredReplicas: 1 };
    expect(f(admit(o))).toEqual(['status.currentReplicas:FieldValueInvalid']);
  });
});
