import { describe, expect, test } from 'vitest';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.ts';
import { nameIsDNSLabel } from './validation.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);

describe('validateObjectMeta', () => {
  test('valid metadata', () => {
    const meta = { name: 'web.example', namespace: 'default', labels: { app: 'web' }, annotations: { 'example.com/x': 'y' }, finalizers: ['example.com/f', 'kubernetes'], ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u', controller: true }] };
    expect(validateObjectMeta({ metadata: meta }, { namespaced: true })).toEqual([]);
  });
  test('name or generateName required; name rules per kind', () => {
    expect(validateObjectMeta({ metadata: { namespace: 'a' } }, { namespaced: true })).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
    ]);
    expect(validateObjectMeta({ metadata: { generateName: 'web-', namespace: 'a' } }, { namespaced: true })).toEqual([]);
    expect(f(validateObjectMeta({ metadata: { name: 'Foo_bar', namespace: 'a' } }, { namespaced: true }))).toEqual(['metadata.name:FieldValueInvalid']);
    expect(f(validateObjectMeta({ metadata: { name: 'a.b' } }, { namespaced: false, nameCheck: nameIsDNSLabel }))).toEqual(['metadata.name:FieldValueInvalid']);
  });
  test('namespace required / forbidden', () => {
    expect(f(validateObjectMeta({ metadata: { name: 'a' } }, { namespaced: true }))).toEqual(['metadata.namespace:FieldValueRequired']);
    expect(validateObjectMeta({ metadata: { name: 'a', namespace: 'x' } }, { namespaced: false })).toEqual([
      { reason: 'FieldValueForbidden', message: 'Forbidden: not allowed on this type', field: 'metadata.namespace' },
    ]);
  });
  test('finalizers and owner references', () => {
    expect(f(validateObjectMeta({ metadata: { name: 'a', finalizers: ['custom', 'a/b/c'] } }, { namespaced: false }))).toEqual([
      'metadata.finalizers[0]:FieldValueInvalid',
      'metadata.finalizers[1]:FieldValueInvalid',
    ]);
    expect(f(validateObjectMeta({ metadata: { name: 'a', ownerReferences: [{ kind: 'X' }] } }, { namespaced: false }))).toEqual([
      'metadata.ownerReferences.apiVersion:FieldValueInvalid',
      'metadata.ownerReferences.name:FieldValueInvalid',
      'metadata.ownerReferences.uid:FieldValueInvalid',
    ]);
  });
  test.each([null, 'x', [], { metadata: 'x' }, { metadata: { name: 5, labels: [], annotations: 'a', finalizers: {}, ownerReferences: 'o', generation: 'g' } }])('garbage %j does not throw', (o) => {
    expect(validateObjectMeta(o, { namespaced: true }).length).toBeGreaterThan(0);
  });
});

describe('validateObjectMetaUpdate', () => {
  const old = { metadata: { name: 'a', namespace: 'n', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z' } };
  test('immutable fields', () => {
    expect(validateObjectMetaUpdate({ metadata: { name: 'a', namespace: 'n' } }, old)).toEqual([]);
    const c = validateObjectMetaUpdate({ metadata: { name: 'b', namespace: 'n', uid: 'u2', creationTimestamp: '2025-01-01T00:00:00Z' } }, old);
    expect(f(c)).toEqual(['metadata.name:FieldValueInvalid', 'metadata.uid:FieldValueInvalid', 'metadata.creationTimestamp:FieldValueInvalid']);
    expect(c[0].message).toBe('Invalid value: "b": field is immutable');
  });
  test('creationTimestamp in another form of the same time is no change (client-node sends "...00.000Z")', () => {
    expect(validateObjectMetaUpdate({ metadata: { name: 'a', namespace: 'n', creationTimestamp: '2024-01-01T00:00:00.000Z' } }, old)).toEqual([]);
    expect(validateObjectMetaUpdate({ metadata: { name: 'a', namespace: 'n', creationTimestamp: '2024-01-01T01:00:00+01:00' } }, old)).toEqual([]);
    expect(f(validateObjectMetaUpdate({ metadata: { name: 'a', namespace: 'n', creationTimestamp: '2024-01-01T00:00:01.000Z' } }, old))).toEqual(['metadata.creationTimestamp:FieldValueInvalid']);
  });
  test('no new finalizers while deleting', () => {
    const deleting = { metadata: { ...old.metadata, deletionTimestamp: 'x', finalizers: ['a/b'] } };
    expect(f(validateObjectMetaUpdate({ metadata: { ...deleting.metadata, finalizers: ['a/b', 'c/d'] } }, deleting))).toEqual(['metadata.finalizers:FieldValueForbidden']);
    expect(validateObjectMetaUpdate({ metadata: { ...deleting.metadata, finalizers: [] } }, deleting)).toEqual([]);
  });
});
