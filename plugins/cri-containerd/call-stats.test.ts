import { describe, expect, it } from 'vitest';
import { CallStats } from './call-stats.ts';

describe('CallStats', () => {
  it('counts calls and errors and reports latency percentiles in µs', () => {
    const s = new CallStats();
    expect(s.snapshot()).toEqual({ calls: 0, errors: 0, callP50Us: 0, callP99Us: 0 });
    for (let i = 1; i <= 100; i++) s.add({ method: 'RuntimeService/Version', durationMs: i, code: 0 });
    s.add({ method: 'RuntimeService/ContainerStatus', durationMs: 1000, code: 5 });
    expect(s.snapshot()).toEqual({ calls: 101, errors: 1, callP50Us: 51_000, callP99Us: 100_000, lastError: 'RuntimeService/ContainerStatus: code 5' });
  });

  it('keeps only the latest 1024 durations', () => {
    const s = new CallStats();
    for (let i = 0; i < 1024; i++) s.add({ method: 'm', durationMs: 1000, code: 0 });
    for (let i = 0; i < 1024; i++) s.add({ method: 'm', durationMs: 1, code: 0 });
    expect(s.snapshot()).toMatchObject({ calls: 2048, callP50Us: 1000, callP99Us: 1000 });
  });
});
