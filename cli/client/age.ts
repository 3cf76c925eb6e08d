// kubectl's human durations: 45s, 3m20s, 5h, 2d3h, 3y.

export function age(ts: string | undefined, nowMs = Date.now()): string {
  if (!ts || Number.isNaN(Date.parse(ts))) return '<unknown>';
  const s = Math.max(0, Math.floor((nowMs - Date.parse(ts)) / 1000));
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
