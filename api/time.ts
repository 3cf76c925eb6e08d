// How Kubernetes writes times: metav1.Time is RFC 3339 to the whole second ("2026-01-02T03:04:05Z",
// what metav1.Now() serializes to); metav1.MicroTime is RFC 3339 with microseconds
// ("2026-01-02T03:04:05.678000Z", Leases and events.k8s.io Events). JS clocks have milliseconds,
// so the last three microsecond digits are 0.

/** metav1.Time: RFC 3339, truncated to the second. Default: now. */
export function rfc3339(at: Date | number = Date.now()): string {
  const t = at instanceof Date ? at.getTime() : at;
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** metav1.MicroTime: RFC 3339 with six fractional digits. Default: now. */
export function microTime(at: Date | number = Date.now()): string {
  return new Date(at instanceof Date ? at.getTime() : at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
