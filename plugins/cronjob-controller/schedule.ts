// A CronJob's schedule in its time zone (robfig/cron's standard parser from @skiff/api, evaluated in
// wall-clock time), and kube's cronjob v2 arithmetic over it: the most recent missed schedule time,
// how many were missed, and how long until the next one.
import { nextCronTime, parseCron, type CronJob } from '@skiff/api';
import { instantOf, localTimeZone, wallClock } from './zone.ts';

export interface Schedule {
  /** the first schedule time strictly after `after` (epoch ms), undefined when none comes */
  next(after: number): number | undefined;
}

/** Parse `expr` for time zone `tz` (default: the process's). Throws an Error on a bad schedule. */
export function parseSchedule(expr: string, tz: string = localTimeZone()): Schedule {
  const s = parseCron(expr);
  if (s.everyMs !== undefined) {
    const every = Math.max(1000, Math.floor(s.everyMs / 1000) * 1000); // robfig: whole seconds, at least one
    return { next: (after) => Math.floor(after / 1000) * 1000 + every };
  }
  return {
    next(after) {
      let wall = wallClock(after, tz);
      for (let i = 0; i < 64; i++) {
        const w = nextCronTime(s, new Date(wall));
        if (!w) return undefined;
        const t = instantOf(w.getTime(), tz);
        if (t !== undefined && t > after) return t;
        wall = w.getTime(); // a wall time in a DST gap, or repeated after a fall-back: look further
      }
      return undefined;
    },
  };
}

export type Missed = 'none' | 'few' | 'many';

export interface MostRecent {
  earliest: number;
  /** the latest schedule time not after now, if one passed since `earliest` */
  mostRecent?: number;
  missed: Missed;
}

const parseTime = (t: string | undefined): number | undefined => {
  const v = t ? Date.parse(t) : NaN;
  return Number.isFinite(v) ? v : undefined;
};

/**
 * kube's mostRecentScheduleTime: from the last schedule time (else the creation time; with
 * `withDeadline`, no earlier than now - startingDeadlineSeconds), the most recent schedule time up
 * to now and a rough count of the ones missed. Throws when two schedule times are under 1 s apart.
 */
export function mostRecentScheduleTime(cj: CronJob, now: number, sched: Schedule, withDeadline: boolean): MostRecent {
  let earliest = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata.creationTimestamp) ?? now;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (withDeadline && typeof sds === 'number') earliest = Math.max(earliest, now - sds * 1000);
  const t1 = sched.next(earliest);
  if (t1 === undefined || now < t1) return { earliest, missed: 'none' };
  const t2 = sched.next(t1);
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) throw new Error('time difference between two schedules is less than 1 second');
  const missedCount = Math.floor(Math.floor((now - t1) / 1000) / between) + 1;
  // start a little before the estimate and let the schedule itself find the last time up to now
  let mostRecent: number | undefined;
  for (let t = sched.next(t1 + (missedCount - 2) * between * 1000); t !== undefined && t <= now; t = sched.next(t)) mostRecent = t;
  const missed: Missed = missedCount > 100 ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** How long until the sync after the next schedule time (with kube's 100 ms margin). */
export function nextScheduleTimeDuration(cj: CronJob, now: number, sched: Schedule): number | undefined {
  let from: number;
  try {
    const r = mostRecentScheduleTime(cj, now, sched, false);
    from = r.mostRecent ?? (r.missed === 'none' ? r.earliest : now);
  } catch {
    from = now;
  }
  const next = sched.next(from);
  return next === undefined ? undefined : next + 100 - now;
}
