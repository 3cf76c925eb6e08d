import { describe, expect, it } from 'vitest';
import { parseQuantity } from '@skiff/api';
import { cpuQuantity, goDuration, memoryQuantity } from './quantities.ts';

describe('usage quantities as metrics-server writes them', () => {
  it('CPU in the canonical decimal form of nanocores', () => {
    expect(cpuQuantity(0)).toBe('0');
    expect(cpuQuantity(450_000_000)).toBe('450m');
    expect(cpuQuantity(1_000_000_000)).toBe('1');
    expect(cpuQuantity(1_500_000_000)).toBe('1500m');
    expect(cpuQuantity(123_456_789)).toBe('123456789n');
    expect(cpuQuantity(5_000)).toBe('5u');
    expect(cpuQuantity(2e12)).toBe('2k');
    for (const n of [1, 999, 123_456_789, 4_200_000_000]) expect(parseQuantity(cpuQuantity(n))).toBeCloseTo(n / 1e9, 9);
  });

  it('memory in the canonical binary form of bytes', () => {
    expect(memoryQuantity(0)).toBe('0');
    expect(memoryQuantity(64 * 2 ** 20)).toBe('64Mi');
    expect(memoryQuantity(12_345 * 1024)).toBe('12345Ki');
    expect(memoryQuantity(1000)).toBe('1000');
    expect(memoryQuantity(3 * 2 ** 30)).toBe('3Gi');
    expect(parseQuantity(memoryQuantity(12_345 * 1024))).toBe(12_345 * 1024);
  });

  it('windows as Go durations, timestamps to the second', () => {
    expect(goDuration(15)).toBe('15s');
    expect(goDuration(15.041)).toBe('15.041s');
    expect(goDuration(0.25)).toBe('250ms');
    expect(goDuration(60.5)).toBe('1m0.5s');
    expect(goDuration(3725)).toBe('1h2m5s');
    expect(goDuration(0)).toBe('0s');
  });
});
