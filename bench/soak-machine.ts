// What the soak benchmark reads from /proc: a process's CPU seconds, and the machine's busy CPU time,
// so the report can say how much of the 2 cores went to the server, NATS, the load generator and
// everything else on the machine.
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

/** The machine's CPU time so far, in seconds summed over the cores: busy (not idle or iowait) and total. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - v[3]! - v[4]!) / 100, total: total / 100 };
}

/** CPU seconds so far of every process on the machine, by pid, with a short name (its command line). */
export function allProcessesCpu(): Map<number, { name: string; cpu: number }> {
  const out = new Map<number, { name: string; cpu: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    const cpu = cpuSeconds(pid);
    if (cpu === 0) continue;
    let name: string;
    try {
      name = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      continue;
    }
    out.set(pid, { name: name.replace(/^\S*\/(?=[^/\s]+(\s|$))/, '').slice(0, 80), cpu });
  }
  return out;
}

/** The processes (not in `ours`) that used the most CPU between two tables, in cores over `seconds`. */
export function topOthers(before: Map<number, { name: string; cpu: number }>, after: Map<number, { name: string; cpu: number }>, ours: Set<number>, seconds: number, n = 5): { pid: number; name: string; cores: number }[] {
  const used: { pid: number; name: string; cores: number }[] = [];
  for (const [pid, a] of after) {
    if (ours.has(pid)) continue;
    const d = a.cpu - (before.get(pid)?.cpu ?? 0);
    if (d > 0) used.push({ pid, name: a.name, cores: Math.round((d / seconds) * 100) / 100 });
  }
  return used.sort((x, y) => y.cores - x.cores).slice(0, n);
}
