import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeSampler, parseMemInfo, parseProcStat } from './proc.ts';

const stat = (user: number, idle: number) => `cpu  ${user} 0 100 ${idle} 50 0 10 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 123\n`;

describe('node usage from /proc', () => {
  it('parses /proc/stat and /proc/meminfo', () => {
    expect(parseProcStat(stat(1000, 5000))).toEqual({ busy: 1110, total: 6160 });
    expect(parseMemInfo('MemTotal:       16000 kB\nMemFree:         1000 kB\nMemAvailable:    6000 kB\n')).toBe(10000 * 1024);
    expect(parseMemInfo('MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 10 kB\nCached: 30 kB\n')).toBe(50 * 1024);
    expect(() => parseProcStat('intr 1\n')).toThrow(/no cpu line/);
  });

  it('rates busy jiffies between samples as nanocores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-proc-'));
    try {
      writeFileSync(join(dir, 'meminfo'), 'MemTotal: 2048 kB\nMemAvailable: 1024 kB\n');
      writeFileSync(join(dir, 'stat'), stat(1000, 5000));
      const s = new NodeSampler(dir);
      expect(await s.sample(10_000)).toEqual({ timestampMs: 10_000, memoryWorkingSetBytes: 1024 * 1024 });
      writeFileSync(join(dir, 'stat'), stat(1150, 5200)); // 150 jiffies = 1.5 cpu-seconds in 2 s
      expect(await s.sample(12_000)).toEqual({ timestampMs: 12_000, windowSeconds: 2, cpuNanoCores: 750_000_000, memoryWorkingSetBytes: 1024 * 1024 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads this machine', async () => {
    const s = new NodeSampler();
    await s.sample();
    await new Promise((r) => setTimeout(r, 200));
    const n = await s.sample();
    expect(n.cpuNanoCores).toBeGreaterThanOrEqual(0);
    expect(n.memoryWorkingSetBytes).toBeGreaterThan(1024 * 1024);
  });
});
