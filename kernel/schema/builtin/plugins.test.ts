import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { pluginKind } from './plugins.ts';

const plugin = (spec: unknown, status?: unknown): KObject =>
  ({ apiVersion: 'plugins.skiff.io/v1alpha1', kind: 'Plugin', metadata: { name: 'p' }, spec, ...(status ? { status } : {}) }) as KObject;
const check = (o: KObject) => {
  pluginKind.default!(o);
  return pluginKind.validate!(o).map((c) => `${c.field}:${c.reason}`);
};
const digest = `sha256:${'ab'.repeat(32)}`;

describe('Plugin', () => {
  test('an artifact source with or without a digest is valid; failurePolicy defaults to Fail', () => {
    const o = plugin({ type: 'skiff.io/scheduler-policy', source: { artifact: 'spread', digest } });
    expect(check(o)).toEqual([]);
    expect((o.spec as Record<string, unknown>).failurePolicy).toBe('Fail');
    expect(check(plugin({ type: 'skiff.io/admission', source: { artifact: 'policies/deny.wasm' } }))).toEqual([]);
  });

  test('digests must be sha256:<hex> and only go with artifacts; artifact names are checked', () => {
    expect(check(plugin({ type: 'skiff.io/admission', source: { artifact: 'a', digest: 'md5:00' } }))).toEqual(['spec.source.digest:FieldValueInvalid']);
    expect(check(plugin({ type: 'skiff.io/admission', source: { artifact: 'a', digest: digest.toUpperCase() } }))).toEqual(['spec.source.digest:FieldValueInvalid']);
    expect(check(plugin({ type: 'skiff.io/admission', source: { builtin: 'x', digest } }))).toEqual(['spec.source.digest:FieldValueForbidden']);
    expect(check(plugin({ type: 'skiff.io/admission', source: { artifact: '../x' } }))).toEqual(['spec.source.artifact:FieldValueInvalid']);
    expect(check(plugin({ type: 'skiff.io/admission', source: { artifact: 'a', digest: 7 } }))).toEqual(['spec.source.digest:FieldValueTypeInvalid']);
    expect(check(plugin({ type: 'skiff.io/admission', source: { artifact: 'a', path: 'b.ts' } }))).toEqual(['spec.source.path:FieldValueForbidden']);
  });

  test('status.runtime is an object', () => {
    expect(check(plugin({ type: 'x.io/y', source: { builtin: 'b' } }, { phase: 'Running', runtime: { calls: 3 } }))).toEqual([]);
    expect(check(plugin({ type: 'x.io/y', source: { builtin: 'b' } }, { runtime: 'fast' }))).toEqual(['status.runtime:FieldValueTypeInvalid']);
  });
});
