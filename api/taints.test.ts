import { describe, expect, test } from 'vitest';
import { doNotScheduleTaintsFilter, findMatchingUntoleratedTaint, taintMatches, tolerationToleratesTaint, tolerationsTolerateTaint } from './taints.ts';
import type { Taint } from './types/core-pod.ts';

const gpu: Taint = { key: 'gpu', value: 'true', effect: 'NoSchedule' };

describe('tolerationToleratesTaint', () => {
  test('Equal compares key, value and effect', () => {
    expect(tolerationToleratesTaint({ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }, gpu)).toBe(true);
    expect(tolerationToleratesTaint({ key: 'gpu', operator: 'Equal', value: 'false', effect: 'NoSchedule' }, gpu)).toBe(false);
    expect(tolerationToleratesTaint({ key: 'gpu', value: 'true' }, gpu)).toBe(true); // no operator = Equal, no effect = all
    expect(tolerationToleratesTaint({ key: 'gpu', value: 'true', effect: 'NoExecute' }, gpu)).toBe(false);
    expect(tolerationToleratesTaint({ key: 'other', value: 'true' }, gpu)).toBe(false);
  });
  test('Exists ignores the value; an empty key with Exists tolerates everything', () => {
    expect(tolerationToleratesTaint({ key: 'gpu', operator: 'Exists' }, gpu)).toBe(true);
    expect(tolerationToleratesTaint({ operator: 'Exists' }, gpu)).toBe(true);
    expect(tolerationToleratesTaint({ operator: 'Exists', effect: 'NoExecute' }, gpu)).toBe(false);
  });
  test('a missing value equals the empty value', () => {
    expect(tolerationToleratesTaint({ key: 'k', operator: 'Equal' }, { key: 'k', effect: 'NoExecute' })).toBe(true);
    expect(tolerationToleratesTaint({ key: 'k', operator: 'Equal', value: '' }, { key: 'k', value: 'v', effect: 'NoExecute' })).toBe(false);
  });
});

describe('findMatchingUntoleratedTaint', () => {
  const taints: Taint[] = [{ key: 'soft', effect: 'PreferNoSchedule' }, gpu, { key: 'evict', effect: 'NoExecute' }];
  test('returns the first untolerated taint, respecting the filter', () => {
    expect(findMatchingUntoleratedTaint(taints, [])).toBe(taints[0]);
    expect(findMatchingUntoleratedTaint(taints, [], doNotScheduleTaintsFilter)).toBe(gpu);
    expect(findMatchingUntoleratedTaint(taints, [{ key: 'gpu', operator: 'Exists' }], doNotScheduleTaintsFilter)).toBe(taints[2]);
    expect(findMatchingUntoleratedTaint(taints, [{ operator: 'Exists' }])).toBeUndefined();
    expect(findMatchingUntoleratedTaint(undefined, undefined)).toBeUndefined();
  });
  test('tolerationsTolerateTaint and taintMatches', () => {
    expect(tolerationsTolerateTaint(undefined, gpu)).toBe(false);
    expect(tolerationsTolerateTaint([{ key: 'x', operator: 'Exists' }, { key: 'gpu', operator: 'Exists' }], gpu)).toBe(true);
    expect(taintMatches(gpu, { key: 'gpu', effect: 'NoSchedule', value: 'other' })).toBe(true);
    expect(taintMatches(gpu, { key: 'gpu', effect: 'NoExecute' })).toBe(false);
  });
});
