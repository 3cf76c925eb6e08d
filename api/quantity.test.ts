import { describe, expect, test } from 'vitest';
import { parseMilliQuantity, parseQuantity, tryParseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  test.each([
    ['100m', 0.1],
    ['1', 1],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2e3', 2000],
    ['128974848', 128974848],
    ['129e6', 129e6],
    ['123Mi', 123 * 2 ** 20],
    ['1k', 1000],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['-1', -1],
    ['+2', 2],
    ['1E-3', 0.001],
    ['100n', 1e-7],
    [250, 250],
  ])('%s -> %s', (s, v) => {
    expect(parseQuantity(s)).toBeCloseTo(v, 9);
  });

  test.each(['', 'abc', '1.2.3', '1Gb', '1 Gi', ' 1', '1ki', 'Gi', '--1', '1e', '1e1.5', 'NaN'])('rejects %j', (s) => {
    expect(tryParseQuantity(s)).toBeUndefined();
    expect(() => parseQuantity(s)).toThrow(/invalid quantity/);
  });

  test('non-strings are not quantities', () => {
    expect(tryParseQuantity(null)).toBeUndefined();
    expect(tryParseQuantity({})).toBeUndefined();
    expect(tryParseQuantity(Infinity)).toBeUndefined();
  });

  test('milli values', () => {
    expect(parseMilliQuantity('100m')).toBe(100);
    expect(parseMilliQuantity('2')).toBe(2000);
    expect(parseMilliQuantity('0.0001')).toBe(1);
  });
});
