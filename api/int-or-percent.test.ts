import { describe, expect, test } from 'vitest';
import { getScaledValueFromIntOrPercent } from './int-or-percent.ts';

describe('getScaledValueFromIntOrPercent', () => {
  test('ints are returned as they are, whatever the total', () => {
    expect(getScaledValueFromIntOrPercent(3, 10, true)).toBe(3);
    expect(getScaledValueFromIntOrPercent(0, 10, false)).toBe(0);
    expect(getScaledValueFromIntOrPercent(30, 10, false)).toBe(30);
  });
  test('percentages scale and round up or down', () => {
    expect(getScaledValueFromIntOrPercent('25%', 10, true)).toBe(3);
    expect(getScaledValueFromIntOrPercent('25%', 10, false)).toBe(2);
    expect(getScaledValueFromIntOrPercent('10%', 10, false)).toBe(1);
    expect(getScaledValueFromIntOrPercent('1%', 10, false)).toBe(0);
    expect(getScaledValueFromIntOrPercent('1%', 10, true)).toBe(1);
    expect(getScaledValueFromIntOrPercent('100%', 7, true)).toBe(7);
    expect(getScaledValueFromIntOrPercent('0%', 7, true)).toBe(0);
    expect(getScaledValueFromIntOrPercent('150%', 4, false)).toBe(6);
  });
  test('errors as intstr words them', () => {
    expect(() => getScaledValueFromIntOrPercent(undefined, 10, true)).toThrow('nil value for IntOrString');
    expect(() => getScaledValueFromIntOrPercent('10', 10, true)).toThrow('invalid value for IntOrString: invalid type: string is not a percentage');
    expect(() => getScaledValueFromIntOrPercent('x%', 10, true)).toThrow(/^invalid value for IntOrString: invalid value "x%"/);
    expect(() => getScaledValueFromIntOrPercent('1.5%', 10, true)).toThrow(/invalid value "1.5%"/);
  });
});
