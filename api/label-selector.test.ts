import { describe, expect, test } from 'vitest';
import { isEmptySelector, selectorMatches } from './label-selector.ts';

describe('label selectors', () => {
  test('matching', () => {
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }, { key: 'env', operator: 'Exists' }] };
    expect(selectorMatches(sel, { app: 'web', env: 'prod' })).toBe(true);
    expect(selectorMatches(sel, { app: 'web', env: 'prod', tier: 'db' })).toBe(false);
    expect(selectorMatches(sel, { app: 'web' })).toBe(false);
    expect(selectorMatches('garbage', { app: 'web' })).toBe(false);
  });
  test('In, DoesNotExist, unknown operators', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' })).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1'] }] }, {})).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { b: 'x' })).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { a: '' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Near' }] }, { a: '1' })).toBe(false);
  });
  test('the empty selector matches everything; emptiness', () => {
    expect(selectorMatches({}, { any: 'thing' })).toBe(true);
    expect(isEmptySelector({})).toBe(true);
    expect(isEmptySelector({ matchLabels: {} , matchExpressions: [] })).toBe(true);
    expect(isEmptySelector({ matchLabels: { a: 'b' } })).toBe(false);
  });
});
