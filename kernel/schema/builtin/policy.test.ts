import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { podDisruptionBudgetKind as pdb } from './policy.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const obj = (spec: unknown, status?: unknown): KObject =>
  ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db', namespace: 'default' }, spec, ...(status ? { status } : {}) }) as KObject;
const check = (o: KObject) => f(pdb.validate!(o));

describe('PodDisruptionBudget', () => {
  test('valid budgets', () => {
    expect(check(obj({ minAvailable: 2, selector: { matchLabels: { app: 'db' } } }))).toEqual([]);
    expect(check(obj({ maxUnavailable: '25%', selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }, unhealthyPodEvictionPolicy: 'AlwaysAllow' }))).toEqual([]);
    expect(check(obj({}))).toEqual([]);
  });
  test('minAvailable and maxUnavailable are mutually exclusive', () => {
    const c = pdb.validate!(obj({ minAvailable: 1, maxUnavailable: 1 }));
    expect(c).toEqual([{ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: {"minAvailable":1,"maxUnavailable":1}: minAvailable and maxUnavailable cannot be both set' }]);
  });
  test.each([
    [{ minAvailable: -1 }, ['spec.minAvailable:FieldValueInvalid']],
    [{ maxUnavailable: '150%' }, ['spec.maxUnavailable:FieldValueInvalid']],
    [{ minAvailable: 'half' }, ['spec.minAvailable:FieldValueInvalid']],
    [{ minAvailable: true }, ['spec.minAvailable:FieldValueTypeInvalid']],
    [{ unhealthyPodEvictionPolicy: 'Sometimes' }, ['spec.unhealthyPodEvictionPolicy:FieldValueNotSupported']],
    [{ selector: { matchExpressions: [{ key: 'app', operator: 'Near' }] } }, ['spec.selector.matchExpressions[0].operator:FieldValueInvalid']],
  ])('invalid spec %j', (spec, expected) => {
    expect(check(obj(spec))).toEqual(expected);
  });
  test('status: counters, disruptedPods and conditions', () => {
    const good = {
      observedGeneration: 1,
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      disruptedPods: { 'db-0': '2024-01-01T00:00:00Z' },
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: '2024-01-01T00:00:00Z', observedGeneration: 1 }],
    };
    expect(check(obj({ minAvailable: 1 }, good))).toEqual([]);
    expect(check(obj({ minAvailable: 1 }, { ...good, disruptedPods: { p: 5 } }))).toEqual(['status.disruptedPods[p]:FieldValueTypeInvalid']);
    expect(check(obj({ minAvailable: 1 }, { ...good, disruptionsAllowed: -1 }))).toEqual(['status.disruptionsAllowed:FieldValueInvalid']);
    expect(check(obj({ minAvailable: 1 }, { ...good, conditions: [{ type: 'DisruptionAllowed', status: 'Maybe', reason: '' }] }))).toEqual([
      'status.conditions[0].status:FieldValueNotSupported',
      'status.conditions[0].lastTransitionTime:FieldValueRequired',
      'status.conditions[0].reason:FieldValueRequired',
    ]);
  });
  test('names: short name pdb, status subresource', () => {
    expect(pdb).toMatchObject({ group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', shortNames: ['pdb'], subresources: ['status'], namespaced: true });
  });
});
