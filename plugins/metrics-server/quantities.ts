// Usage values as metrics-server writes them: CPU as resource.NewScaledQuantity(nanocores, Nano)
// and memory as resource.NewQuantity(bytes, BinarySI), in Kubernetes' canonical form (the largest
// exact suffix: "450m", "1234567n", "64Mi", "1000"); windows as Go's Duration.String ("15.041s").

const DECIMAL: [number, string][] = [
  [1e18, 'E'], // nanocores: 1e9 per core
  [1e15, 'M'],
  [1e12, 'k'],
  [1e9, ''],
  [1e6, 'm'],
  [1e3, 'u'],
  [1, 'n'],
];

/** A CPU quantity from nanocores (rounded to whole nanocores). */
export function cpuQuantity(nanoCores: number): string {
  const n = Math.max(0, Math.round(nanoCores));
  if (n === 0) return '0';
  for (const [div, suffix] of DECIMAL) if (n % div === 0) return `${n / div}${suffix}`;
  return `${n}n`;
}

const BINARY: [number, string][] = [
  [2 ** 60, 'Ei'],
  [2 ** 50, 'Pi'],
  [2 ** 40, 'Ti'],
  [2 ** 30, 'Gi'],
  [2 ** 20, 'Mi'],
  [2 ** 10, 'Ki'],
];

/** A memory quantity from bytes (rounded to whole bytes). */
export function memoryQuantity(bytes: number): string {
  const b = Math.max(0, Math.round(bytes));
  if (b === 0) return '0';
  for (const [div, suffix] of BINARY) if (b % div === 0) return `${b / div}${suffix}`;
  return String(b);
}

/** Go's time.Duration.String() of a number of seconds, to the millisecond ("10s", "1m0.5s", "250ms"). */
export function goDuration(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h) return `${h}h${m}m${sec}`;
  if (m) return `${m}m${sec}`;
  return sec;
}
