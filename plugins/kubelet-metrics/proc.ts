// The node's own usage from /proc, as the kubelet's summary reports it for the node: CPU from the
// busy jiffies of /proc/stat between two samples (nanocores), memory in use from /proc/meminfo
// (MemTotal − MemAvailable, the working set without reclaimable cache).
import { readFile } from 'node:fs/promises';

/** USER_HZ: /proc/stat counts in 1/100 s on Linux. */
const USER_HZ = 100;

export interface CpuTimes {
  /** jiffies not idle (user+nice+system+irq+softirq+steal) */
  busy: number;
  /** all jiffies */
  total: number;
}

/** The aggregate "cpu" line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) throw new Error('no cpu line in /proc/stat');
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Bytes in use per /proc/meminfo: MemTotal − MemAvailable. */
export function parseMemInfo(text: string): number {
  const kb = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  if (total === undefined) throw new Error('no MemTotal in /proc/meminfo');
  const available = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0);
  return Math.max(0, total - available);
}

export interface NodeSample {
  timestampMs: number;
  /** undefined on the first sample (a rate needs two) */
  cpuNanoCores?: number;
  windowSeconds?: number;
  memoryWorkingSetBytes: number;
}

/** Samples the node; each sample's CPU rate is over the time since the previous one. */
export class NodeSampler {
  private prev?: { at: number; busy: number };

  constructor(private readonly procRoot = '/proc') {}

  async sample(now = Date.now()): Promise<NodeSample> {
    const [stat, mem] = await Promise.all([readFile(`${this.procRoot}/stat`, 'utf8'), readFile(`${this.procRoot}/meminfo`, 'utf8')]);
    const { busy } = parseProcStat(stat);
    const out: NodeSample = { timestampMs: now, memoryWorkingSetBytes: parseMemInfo(mem) };
    const p = this.prev;
    if (p && now > p.at) {
      const seconds = (now - p.at) / 1000;
      out.windowSeconds = seconds;
      out.cpuNanoCores = Math.max(0, Math.round(((busy - p.busy) / USER_HZ / seconds) * 1e9));
    }
    this.prev = { at: now, busy };
    return out;
  }
}
