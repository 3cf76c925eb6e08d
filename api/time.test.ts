import { describe, expect, it, vi } from 'vitest';
import { microTime, rfc3339 } from './time.ts';

describe('rfc3339', () => {
  it('truncates to whole seconds, from a Date or epoch milliseconds', () => {
    expect(rfc3339(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe('2026-01-02T03:04:05Z');
    expect(rfc3339(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 0)))).toBe('2026-01-02T03:04:05Z');
  });
  it('defaults to now', () => {
    vi.useFakeTimers({ now: Date.UTC(2030, 5, 6, 7, 8, 9, 123) });
    try {
      expect(rfc3339()).toBe('2030-06-06T07:08:09Z');
      expect(microTime()).toBe('2030-06-06T07:08:09.123000Z');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('microTime', () => {
  it('writes six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 7))).toBe('2026-01-02T03:04:05.007000Z');
    expect(microTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 0)))).toBe('2026-01-02T03:04:05.000000Z');
  });
});
