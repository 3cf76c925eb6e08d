// What the soak benchmark reads from /proc: a process's CPU seconds (a gone process reads 0), and
// which other processes used the cores (MachineShare), so the report can say how much of the 2 cores
// went to the server, NATS, the load generator and everything else on the machine (with
// machineCpu, _util.ts).
import { readdirSync, readFileSync } from 'node:fs';

/** user + system CPU seconds of a process so far (0 once it is gone) */
export function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks of 10 ms
  } catch {
    return 0;
  }
}

/**
 * The CPU every other process on the machine used from mark() on, read at each sample() (a process
 * that starts and ends between two samples is missed; one that started after the mark counts from 0).
 */
export class MachineShare {
  private base?: Map<number, number>;
  private readonly seen = new Map<number, { name: string; cpu: number }>();

  mark(): void {
    this.base = new Map();
    for (const [pid, p] of this.read()) this.base.set(pid, p.cpu);
  }

  sample(): void {
    if (this.base) this.read();
  }

  /** The processes not in `ours` that used the most CPU since the mark, in cores over `seconds`. */
  top(ours: Set<number>, seconds: number, n = 5): { pid: number; name: string; cores: number }[] {
    const used: { pid: number; name: string; cores: number }[] = [];
    for (const [pid, p] of this.seen) {
      const d = p.cpu - (this.base?.get(pid) ?? 0);
      if (!ours.has(pid) && d > 0) used.push({ pid, name: p.name, cores: Math.round((d / seconds) * 100) / 100 });
    }
    return used.sort((x, y) => y.cores - x.cores).slice(0, n);
  }

  private read(): Map<number, { name: string; cpu: number }> {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const pid = Number(d);
      const cpu = cpuSeconds(pid);
      const known = this.seen.get(pid);
      if (known) known.cpu = Math.max(known.cpu, cpu);
      else if (cpu > 0) this.seen.set(pid, { name: commandLine(pid), cpu });
    }
    return this.seen;
  }
}

function commandLine(pid: number): string {
  try {
    const a = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return a.map((x, k) => (k < 2 ? x.replace(/^.*\/(?=[^/]+$)/, '') : x)).join(' ').slice(0, 80);
  } catch {
    return '?';
  }
}
