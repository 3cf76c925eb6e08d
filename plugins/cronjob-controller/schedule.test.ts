import { describe, expect, it } from 'vitest';
import type { CronJob } from '@skiff/api';
import { jobFromTemplate, jobName } from './job-template.ts';
import { mostRecentScheduleTime, nextScheduleTimeDuration, parseSchedule } from './schedule.ts';
import { formatRFC3339, instantOf, wallClock } from './zone.ts';

const T = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

const cronJob = (schedule: string, extra: { created?: string; last?: string; sds?: number; tz?: string } = {}): CronJob => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'cj', namespace: 'default', uid: 'u1', creationTimestamp: extra.created ?? '2024-01-01T00:00:00Z' },
  spec: {
    schedule,
    timeZone: extra.tz,
    startingDeadlineSeconds: extra.sds,
    jobTemplate: { metadata: { labels: { a: 'b' }, annotations: { x: 'y' } }, spec: { template: { spec: { containers: [] } } } },
  },
  status: extra.last ? { lastScheduleTime: extra.last } : {},
});

describe('schedules', () => {
  it('evaluate fields, ranges, steps, names and descriptors in UTC', () => {
    const next = (expr: string, after: string) => iso(parseSchedule(expr, 'UTC').next(T(after)));
    expect(next('* * * * *', '2024-01-01T10:00:30Z')).toBe('2024-01-01T10:01:00.000Z');
    expect(next('*/15 9-17 * * mon-fri', '2024-01-05T17:50:00Z')).toBe('2024-01-08T09:00:00.000Z'); // Friday evening -> Monday
    expect(next('0 0 1 jan,jul *', '2024-02-01T00:00:00Z')).toBe('2024-07-01T00:00:00.000Z');
    expect(next('@hourly', '2024-01-01T10:00:00Z')).toBe('2024-01-01T11:00:00.000Z');
    expect(next('@daily', '2024-01-01T10:00:00Z')).toBe('2024-01-02T00:00:00.000Z');
    expect(next('@midnight', '2024-01-01T10:00:00Z')).toBe('2024-01-02T00:00:00.000Z');
    expect(next('@weekly', '2024-01-01T10:00:00Z')).toBe('2024-01-07T00:00:00.000Z'); // Sunday
    expect(next('@monthly', '2024-01-15T10:00:00Z')).toBe('2024-02-01T00:00:00.000Z');
    expect(next('@yearly', '2024-01-15T10:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(next('@annually', '2024-01-15T10:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(next('@every 90s', '2024-01-01T10:00:00.500Z')).toBe('2024-01-01T10:01:30.000Z');
    expect(() => parseSchedule('61 * * * *', 'UTC')).toThrow(/above maximum/);
  });

  it('evaluate in the CronJob\'s time zone, across DST changes', () => {
    const berlin = parseSchedule('0 9 * * *', 'Europe/Berlin');
    expect(iso(berlin.next(T('2024-01-10T12:00:00Z')))).toBe('2024-01-11T08:00:00.000Z'); // CET
    expect(iso(berlin.next(T('2024-07-10T12:00:00Z')))).toBe('2024-07-11T07:00:00.000Z'); // CEST
    // 02:30 does not exist in New York on 2024-03-10: that day is skipped
    const ny = parseSchedule('30 2 * * *', 'America/New_York');
    expect(iso(ny.next(T('2024-03-09T12:00:00Z')))).toBe('2024-03-11T06:30:00.000Z');
    // 01:30 happens twice on 2024-11-03: once (the earlier)
    const fallBack = parseSchedule('30 1 * * *', 'America/New_York');
    const first = fallBack.next(T('2024-11-03T00:00:00Z'))!;
    expect(iso(first)).toBe('2024-11-03T05:30:00.000Z');
    expect(iso(fallBack.next(first))).toBe('2024-11-04T06:30:00.000Z');
    expect(wallClock(T('2024-07-01T00:00:00Z'), 'Asia/Kolkata')).toBe(T('2024-07-01T05:30:00Z'));
    expect(instantOf(T('2024-03-10T02:30:00Z'), 'America/New_York')).toBeUndefined();
  });

  it('count missed times from the last schedule time, within startingDeadlineSeconds', () => {
    const sched = parseSchedule('* * * * *', 'UTC');
    // nothing due yet
    const none = mostRecentScheduleTime(cronJob('* * * * *', { last: '2024-01-01T10:00:00Z' }), T('2024-01-01T10:00:40Z'), sched, true);
    expect(none.mostRecent).toBeUndefined();
    expect(none.missed).toBe('none');
    // one due
    expect(mostRecentScheduleTime(cronJob('* * * * *', { last: '2024-01-01T10:00:00Z' }), T('2024-01-01T10:01:05Z'), sched, true)).toMatchObject({ mostRecent: T('2024-01-01T10:01:00Z'), missed: 'none' });
    // several: the latest is the one to run
    const few = mostRecentScheduleTime(cronJob('* * * * *', { last: '2024-01-01T10:00:00Z' }), T('2024-01-01T10:05:30Z'), sched, true);
    expect(few).toMatchObject({ mostRecent: T('2024-01-01T10:05:00Z'), missed: 'few' });
    // over 100: "many"
    const many = mostRecentScheduleTime(cronJob('* * * * *', { created: '2024-01-01T00:00:00Z' }), T('2024-01-01T05:00:30Z'), sched, true);
    expect(many).toMatchObject({ mostRecent: T('2024-01-01T05:00:00Z'), missed: 'many' });
    // a starting deadline moves the start: few again
    const late = mostRecentScheduleTime(cronJob('* * * * *', { created: '2024-01-01T00:00:00Z', sds: 200 }), T('2024-01-01T05:00:30Z'), sched, true);
    expect(late).toMatchObject({ mostRecent: T('2024-01-01T05:00:00Z'), missed: 'few' });
  });

  it('requeue 100 ms after the next schedule time', () => {
    const sched = parseSchedule('*/5 * * * *', 'UTC');
    const cj = cronJob('*/5 * * * *', { last: '2024-01-01T10:00:00Z' });
    expect(nextScheduleTimeDuration(cj, T('2024-01-01T10:01:00Z'), sched)).toBe(4 * 60_000 + 100);
    expect(nextScheduleTimeDuration(cj, T('2024-01-01T10:04:59.900Z'), sched)).toBe(200);
  });
});

describe('the Job of a schedule time', () => {
  it('is named by the minutes since the epoch and annotated with the time in the CronJob\'s zone', () => {
    const scheduled = T('2024-07-01T10:00:00Z');
    expect(jobName(cronJob('* * * * *'), scheduled)).toBe(`cj-${scheduled / 60_000}`);
    const job = jobFromTemplate(cronJob('* * * * *'), scheduled);
    expect(job.metadata.name).toBe('cj-28663800');
    expect(job.metadata.annotations).toEqual({ x: 'y', 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2024-07-01T10:00:00Z' });
    expect(job.metadata.labels).toEqual({ a: 'b' });
    expect(job.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
    const zoned = jobFromTemplate(cronJob('* * * * *', { tz: 'America/New_York' }), scheduled);
    expect(zoned.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe('2024-07-01T06:00:00-04:00');
    expect(formatRFC3339(scheduled, 'Asia/Kolkata')).toBe('2024-07-01T15:30:00+05:30');
  });
});
