// Cron schedules as CronJob accepts them (robfig/cron standard parser): 5 fields, names, steps,
// ranges, lists, `?`, and the @yearly/@monthly/@weekly/@daily/@midnight/@hourly/@every descriptors.

export interface CronSchedule {
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number>;
  month: Set<number>;
  dow: Set<number>;
  /** dom / dow were `*` or `?` (then the other one alone decides) */
  domStar: boolean;
  dowStar: boolean;
  /** @every <duration>, in milliseconds */
  everyMs?: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function parseValue(s: string, min: number, names?: string[]): number {
  const lower = s.toLowerCase();
  if (names) {
    const i = names.indexOf(lower);
    if (i >= 0) return i + min;
  }
  if (!/^\d+$/.test(s)) throw new Error(`failed to parse int from ${s}`);
  return Number(s);
}

function parseField(field: string, min: number, max: number, names?: string[]): { set: Set<number>; star: boolean } {
  const set = new Set<number>();
  let star = false;
  for (const part of field.split(',')) {
    const [range, stepStr, extra] = part.split('/');
    if (extra !== undefined) throw new Error(`too many slashes: ${part}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
      if (stepStr === undefined) star = true;
    } else {
      const bounds = range.split('-');
      if (bounds.length > 2) throw new Error(`too many hyphens: ${part}`);
      lo = parseValue(bounds[0], min, names);
      hi = bounds.length === 2 ? parseValue(bounds[1], min, names) : stepStr !== undefined ? max : lo;
    }
    const step = stepStr === undefined ? 1 : /^\d+$/.test(stepStr) ? Number(stepStr) : NaN;
    if (!(step > 0)) throw new Error(`step of range should be a positive number: ${part}`);
    if (lo < min) throw new Error(`beginning of range (${lo}) below minimum (${min}): ${part}`);
    if (hi > max) throw new Error(`end of range (${hi}) above maximum (${max}): ${part}`);
    if (lo > hi) throw new Error(`beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    for (let v = lo; v <= hi; v += step) set.add(v);
  }
  return { set, star };
}

function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  if (!/^(\d+(?:\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) throw new Error(`failed to parse duration ${s}`);
  let ms = 0;
  for (const m of s.matchAll(re)) ms += Number(m[1]) * unit[m[2]];
  return ms;
}

/** Parse a schedule; throws an Error whose message reads like robfig/cron's. */
export function parseCron(expr: string): CronSchedule {
  const spec = expr.trim();
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) throw new Error('CRON_TZ or TZ used in schedule is not supported, please use timeZone field');
  if (spec.startsWith('@every ')) {
    const everyMs = parseDuration(spec.slice(7).trim());
    const all = (a: number, b: number) => new Set(Array.from({ length: b - a + 1 }, (_, i) => a + i));
    return { minute: all(0, 59), hour: all(0, 23), dom: all(1, 31), month: all(1, 12), dow: all(0, 6), domStar: true, dowStar: true, everyMs };
  }
  const expanded = spec.startsWith('@') ? DESCRIPTORS[spec] : spec;
  if (!expanded) throw new Error(`unrecognized descriptor: ${spec}`);
  const fields = expanded.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const dom = parseField(fields[2], 1, 31);
  const dow = parseField(fields[4], 0, 7, DAYS);
  if (dow.set.has(7)) {
    dow.set.delete(7);
    dow.set.add(0);
  }
  return {
    minute: parseField(fields[0], 0, 59).set,
    hour: parseField(fields[1], 0, 23).set,
    dom: dom.set,
    month: parseField(fields[3], 1, 12, MONTHS).set,
    dow: dow.set,
    domStar: dom.star,
    dowStar: dow.star,
  };
}

/** The error message for an invalid schedule, or undefined when it is valid. */
export function cronError(expr: string): string | undefined {
  try {
    parseCron(expr);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The first time strictly after `after` (UTC, minute resolution) the schedule fires; undefined if none within 5 years. */
export function nextCronTime(s: CronSchedule, after: Date): Date | undefined {
  if (s.everyMs !== undefined) return new Date(after.getTime() + s.everyMs);
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
  const dayMatches = (d: Date) => {
    const a = s.dom.has(d.getUTCDate());
    const b = s.dow.has(d.getUTCDay());
    return s.domStar || s.dowStar ? a && b : a || b;
  };
  while (t.getTime() <= limit) {
    if (!s.month.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0);
    } else if (!dayMatches(t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0);
    } else if (!s.hour.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0);
    } else if (!s.minute.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1);
    } else return t;
  }
  return undefined;
}
