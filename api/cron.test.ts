import { describe, expect, test } from 'vitest';
import { cronError, nextCronTime, parseCron } from './cron.ts';

describe('cron', () => {
  test.each(['* * * * *', '*/15 0-6 1,15 * MON-FRI', '0 0 ? * 7', '@daily', '@every 1h30m', '5 4 * jan-mar sun'])('accepts %s', (s) => {
    expect(cronError(s)).toBeUndefined();
  });
  test.each([
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* * * * FOO', 'failed to parse int from FOO'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['TZ=UTC * * * * *', 'CRON_TZ or TZ used in schedule is not supported, please use timeZone field'],
  ])('rejects %s', (s, msg) => {
    expect(cronError(s)).toBe(msg);
  });
  test('next time', () => {
    const s = parseCron('30 2 * * *');
    expect(nextCronTime(s, new Date('2024-03-01T02:30:00Z'))?.toISOString()).toBe('2024-03-02T02:30:00.000Z');
    expect(nextCronTime(parseCron('0 0 1 1 *'), new Date('2024-06-01T00:00:00Z'))?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(nextCronTime(parseCron('*/10 * * * *'), new Date('2024-01-01T00:05:30Z'))?.toISOString()).toBe('2024-01-01T00:10:00.000Z');
  });
});
