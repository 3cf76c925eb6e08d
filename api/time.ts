// How Kubernetes writes times: metav1.Time is RFC 3339 to the whole second ("2026-01-02T03:04:05Z",
// what metav1.Now() serializes to); metav1.MicroTime is RFC 3339 with microseconds
// ("2026-01-02T03:04:05.678000Z", Leases and events.k8s.io Events). JS clocks have milliseconds,
// so the last three microsecond digits are 0.

let lastSecond = NaN;
let lastText = '';

/** metav1.Time: RFC 3339, truncated to the second. Default: now. */
export function rfc3339(at: Date | number = Date.now()): string {
  const second = Math.floor((at instanceof Date ? at.getTime() : at) / 1000);
  // every write stamps a time or two, nearly always in the same second as the last one
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastText;
}

/** metav1.MicroTime: RFC 3339 with six fractional digits. Default: now. */
export function microTime(at: Date | number = Date.now()): string {
  return new Date(at instanceof Date ? at.getTime() : at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** kubectl's human durations (duration.HumanDuration): 45s, 3m20s, 5h, 2d3h, 3y. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Time since `ts` as kubectl prints it; `<unknown>` without a valid time. */
export function age(ts: string | undefined, nowMs = Date.now()): string {
  if (!ts || Number.isNaN(Date.parse(ts))) return '<unknown>';
  return humanDuration((nowMs - Date.parse(ts)) / 1000);
}
