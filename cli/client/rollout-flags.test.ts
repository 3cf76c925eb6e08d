import { describe, expect, it } from 'vitest';
import { boolFlag, dryRunFlag, durationFlag, intFlag, parseGoDuration } from './rollout-flags.ts';

describe('Go durations', () => {
  it.each([
    ['0', 0],
    ['1s', 1000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['-2s', -2000],
  ])('%s = %d ms', (s, ms) => expect(parseGoDuration(s)).toBe(ms));

  it('errors as time.ParseDuration and pflag word them', () => {
    expect(() => parseGoDuration('5')).toThrow('time: missing unit in duration "5"');
    expect(() => parseGoDuration('5d')).toThrow('time: unknown unit "d" in duration "5d"');
    expect(() => parseGoDuration('')).toThrow('time: invalid duration ""');
    expect(() => durationFlag('timeout', 'soon')).toThrow('invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"');
    expect(durationFlag('timeout', undefined)).toBe(0);
  });
});

describe('other flags', () => {
  it('integers', () => {
    expect(intFlag('revision', '3', 0)).toBe(3);
    expect(intFlag('revision', undefined, 0)).toBe(0);
    expect(intFlag('current-replicas', '-1', 0)).toBe(-1);
    expect(() => intFlag('replicas', 'two', 0)).toThrow('invalid argument "two" for "--replicas" flag: strconv.ParseInt: parsing "two": invalid syntax');
  });
  it('booleans', () => {
    expect(boolFlag('watch', undefined, true)).toBe(true);
    expect(boolFlag('watch', true, false)).toBe(true);
    expect(boolFlag('watch', 'false', true)).toBe(false);
    expect(() => boolFlag('watch', 'maybe', true)).toThrow('invalid argument "maybe" for "--watch" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
  });
  it('--dry-run', () => {
    expect(dryRunFlag(undefined)).toBe('none');
    expect(dryRunFlag('server')).toBe('server');
    expect(() => dryRunFlag(true)).toThrow('--dry-run flag without a value was specified. A value must be set: "none", "server", or "client".');
    expect(() => dryRunFlag('all')).toThrow('Invalid dry-run value (all). Must be "none", "server", or "client".');
  });
});
