import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { priorityClassKind as pc } from './scheduling.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const obj = (name: string, fields: Record<string, unknown>): KObject => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, ...fields }) as KObject;
const admit = (o: KObject, old?: KObject) => {
  pc.default!(o);
  return pc.validate!(o, old);
};

describe('PriorityClass', () => {
  test('defaults preemptionPolicy and value', () => {
    const o = obj('high', { value: 1000 });
    expect(admit(o)).toEqual([]);
    expect(o).toMatchObject({ value: 1000, preemptionPolicy: 'PreemptLowerPriority' });
    const z = obj('zero', {});
    expect(admit(z)).toEqual([]);
    expect(z.value).toBe(0);
  });
  test('user classes may not exceed one billion', () => {
    expect(admit(obj('ok', { value: 1_000_000_000 }))).toEqual([]);
    expect(admit(obj('too-high', { value: 1_000_000_001 }))).toEqual([{ reason: 'FieldValueForbidden', field: 'value', message: 'Forbidden: maximum allowed value of a user defined priority is 1000000000' }]);
    expect(f(admit(obj('neg', { value: -5 })))).toEqual([]);
  });
  test('the system- prefix is reserved for the built-in classes with their values', () => {
    expect(admit(obj('system-node-critical', { value: 2_000_001_000 }))).toEqual([]);
    expect(admit(obj('system-cluster-critical', { value: 2_000_000_000 }))).toEqual([]);
    expect(admit(obj('system-mine', { value: 5 }))[0]!.message).toBe(
      "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    );
    expect(admit(obj('system-node-critical', { value: 5 }))[0]!.message).toContain('value of system-node-critical PriorityClass must be 2000001000');
    expect(admit(obj('system-node-critical', { value: 2_000_001_000, globalDefault: true }))[0]!.message).toContain('globalDefault of system-node-critical PriorityClass must be false');
  });
  test('value and preemptionPolicy are immutable', () => {
    const old = obj('c', { value: 10 });
    pc.default!(old);
    const upd = { ...structuredClone(old), value: 11, preemptionPolicy: 'Never' };
    expect(f(admit(upd, old))).toEqual(['preemptionPolicy:FieldValueInvalid', 'value:FieldValueForbidden']);
    expect(admit({ ...structuredClone(old), description: 'now described', globalDefault: true }, old)).toEqual([]);
  });
  test.each([
    [{ value: 'x' }, ['value:FieldValueTypeInvalid']],
    [{ value: 1, preemptionPolicy: 'Sometimes' }, ['preemptionPolicy:FieldValueNotSupported']],
    [{ value: 1, globalDefault: 'yes' }, ['globalDefault:FieldValueTypeInvalid']],
  ])('invalid %j', (fields, expected) => {
    expect(f(admit(obj('c', fields)))).toEqual(expected);
  });
  test('cluster-scoped, short name pc', () => {
    expect(pc).toMatchObject({ namespaced: false, shortNames: ['pc'], resource: 'priorityclasses' });
  });
});
