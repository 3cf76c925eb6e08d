// Wall-clock time in an IANA time zone, through Intl (no tz database of our own): an instant's wall
// time, the instant of a wall time (none inside a DST gap), and RFC 3339 with the zone's offset.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when Intl knows the zone. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The zone this process runs in (what time.Local is to kube-controller-manager). */
export const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const isUTC = (tz: string) => tz === 'UTC' || tz === 'Etc/UTC' || tz === 'Etc/GMT' || tz === 'GMT';

/** The wall time of `instant` in `tz`, as epoch ms of that wall time read as UTC. */
export function wallClock(instant: number, tz: string): number {
  if (isUTC(tz)) return instant;
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(instant))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const ms = ((instant % 1000) + 1000) % 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second) + ms;
}

/** The zone's offset from UTC at `instant` (ms). */
export const offsetAt = (instant: number, tz: string): number => wallClock(instant, tz) - instant;

/** The instant whose wall time in `tz` is `wall`; undefined inside a DST gap; the earlier one when ambiguous. */
export function instantOf(wall: number, tz: string): number | undefined {
  if (isUTC(tz)) return wall;
  const candidates = new Set<number>();
  for (const probe of [wall - 86_400_000 / 2, wall, wall + 86_400_000 / 2]) {
    const t = wall - offsetAt(probe, tz);
    if (wallClock(t, tz) === wall) candidates.add(t);
  }
  return candidates.size ? Math.min(...candidates) : undefined;
}

/** RFC 3339 at second resolution in `tz` ("Z" for a zero offset, as Go writes it). */
export function formatRFC3339(instant: number, tz: string): string {
  const t = Math.floor(instant / 1000) * 1000;
  const off = offsetAt(t, tz);
  const wall = new Date(t + off).toISOString().slice(0, 19);
  if (off === 0) return `${wall}Z`;
  const m = Math.abs(off) / 60_000;
  return `${wall}${off < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
