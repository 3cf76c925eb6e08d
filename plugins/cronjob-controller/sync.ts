// kube's cronjob controller v2 sync: reconcile status.active with the CronJob's Jobs, start the Job
// of the most recent unmet schedule time (respecting suspend, startingDeadlineSeconds and the
// concurrency policy), prune finished Jobs beyond the history limits, and say when to look again.
import { rfc3339, isAlreadyExists, isControlledBy, isNotFound, JOBS, type CronJob, type Job } from '@skiff/api';
import type { EventRecorder } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import type { Clock } from './clock.ts';
import { jobFromTemplate, jobName, jobRef } from './job-template.ts';
import { mostRecentScheduleTime, nextScheduleTimeDuration, parseSchedule, type Schedule } from './schedule.ts';
import { isValidTimeZone, localTimeZone } from './zone.ts';

export interface CronController {
  kernel: Kernel;
  recorder: EventRecorder;
  clock: Clock;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** RFC 1123 with a numeric zone, as Go's time.RFC1123Z in UTC */
const rfc1123z = (ms: number) => new Date(ms).toUTCString().replace('GMT', '+0000');

/** 'Complete' or 'Failed' when the Job finished (a True condition of either type). */
export function finishedType(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  return undefined;
}

const inActive = (cj: CronJob, uid: string | undefined) => (cj.status?.active ?? []).some((r) => r.uid === uid);
function removeFromActive(cj: CronJob, uid: string | undefined): void {
  const status = (cj.status ??= {});
  status.active = (status.active ?? []).filter((r) => r.uid !== uid);
}

/** Delete a Job of the CronJob and its reference (Events SuccessfulDelete / FailedDelete). */
async function deleteJob(cc: CronController, cj: CronJob, job: Job): Promise<boolean> {
  try {
    await cc.kernel.delete(JOBS, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background' });
  } catch (e) {
    if (!isNotFound(e)) {
      cc.recorder.record(cj, { type: 'Warning', reason: 'FailedDelete', message: `Deleted job: ${message(e)}` });
      return false;
    }
  }
  removeFromActive(cj, job.metadata.uid);
  cc.recorder.record(cj, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted job ${job.metadata.name}` });
  return true;
}

/** Oldest first by status.startTime (unstarted last), then by name (kube's byJobStartTime). */
function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (!sa || !sb) return !sa && !sb ? 0 : sa ? -1 : 1;
  const d = Date.parse(sa) - Date.parse(sb);
  return d !== 0 ? d : (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Keep at most successfulJobsHistoryLimit Complete and failedJobsHistoryLimit Failed Jobs. Returns whether the status changed. */
export async function cleanupFinishedJobs(cc: CronController, cj: CronJob, jobs: Job[]): Promise<boolean> {
  const spec = cj.spec!;
  if (spec.successfulJobsHistoryLimit === undefined && spec.failedJobsHistoryLimit === undefined) return false;
  let changed = false;
  for (const [type, limit] of [['Complete', spec.successfulJobsHistoryLimit], ['Failed', spec.failedJobsHistoryLimit]] as const) {
    if (limit === undefined) continue;
    const finished = jobs.filter((j) => finishedType(j) === type).sort(byStartTime);
    for (const j of finished.slice(0, Math.max(0, finished.length - limit))) if (await deleteJob(cc, cj, j)) changed = true;
  }
  return changed;
}

export interface SyncResult {
  requeueAfterMs?: number;
  updateStatus: boolean;
}

export async function syncCronJob(cc: CronController, cj: CronJob, jobs: Job[]): Promise<SyncResult> {
  const now = cc.clock.now();
  let updateStatus = false;
  cj.status ??= {};

  const children = new Set<string>();
  for (const j of jobs) {
    children.add(j.metadata.uid!);
    const found = inActive(cj, j.metadata.uid);
    const finished = finishedType(j);
    if (!found && !finished) {
      // the informer may be behind our own status write: check the stored CronJob first
      const fresh = (await cc.kernel.get({ group: 'batch', version: 'v1', resource: 'cronjobs' }, cj.metadata.namespace, cj.metadata.name!)) as CronJob;
      if (inActive(fresh, j.metadata.uid)) {
        cj.metadata = fresh.metadata;
        cj.spec = fresh.spec;
        cj.status = fresh.status ?? {};
        continue;
      }
      cc.recorder.record(cj, { type: 'Warning', reason: 'UnexpectedJob', message: `Saw a job that the controller did not create or forgot: ${j.metadata.name}` });
    } else if (found && finished) {
      removeFromActive(cj, j.metadata.uid);
      cc.recorder.record(cj, { type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j.metadata.name}, condition: ${finished}` });
      updateStatus = true;
    } else if (finished === 'Complete' && j.status?.completionTime) {
      // a Job need not be active to count for lastSuccessfulTime
      const last = cj.status!.lastSuccessfulTime;
      if (!last || Date.parse(j.status.completionTime) > Date.parse(last)) {
        cj.status!.lastSuccessfulTime = j.status.completionTime;
        updateStatus = true;
      }
    }
  }
  // a reference to a Job that is gone (checked against the store, not the cache)
  for (const ref of [...(cj.status!.active ?? [])]) {
    if (children.has(ref.uid ?? '')) continue;
    try {
      await cc.kernel.get(JOBS, ref.namespace, ref.name!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      cc.recorder.record(cj, { type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${ref.name}` });
      removeFromActive(cj, ref.uid);
      updateStatus = true;
    }
  }

  if (cj.metadata.deletionTimestamp) return { updateStatus };
  const spec = cj.spec!;
  if (spec.timeZone !== undefined && !isValidTimeZone(spec.timeZone)) {
    cc.recorder.record(cj, { type: 'Warning', reason: 'UnknownTimeZone', message: `invalid timeZone: "${spec.timeZone}": unknown time zone ${spec.timeZone}` });
    return { updateStatus };
  }
  if (spec.suspend) return { updateStatus };

  let sched: Schedule;
  try {
    sched = parseSchedule(spec.schedule, spec.timeZone ?? localTimeZone());
  } catch (e) {
    cc.recorder.record(cj, { type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: "${spec.schedule}" : ${message(e)}` });
    return { updateStatus };
  }

  let scheduled: number | undefined;
  try {
    const r = mostRecentScheduleTime(cj, now, sched, true);
    if (r.mostRecent !== undefined && r.mostRecent <= now) {
      scheduled = r.mostRecent;
      if (r.missed === 'many')
        cc.recorder.record(cj, { type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' });
    }
  } catch (e) {
    cc.recorder.record(cj, { type: 'Warning', reason: 'InvalidSchedule', message: `invalid schedule: ${spec.schedule} : ${message(e)}` });
    return { updateStatus };
  }
  const later = () => ({ requeueAfterMs: nextScheduleTimeDuration(cj, now, sched), updateStatus });
  if (scheduled === undefined) return later(); // nothing due (a sync before the time, or after a restart)

  if (typeof spec.startingDeadlineSeconds === 'number' && scheduled + spec.startingDeadlineSeconds * 1000 < now) {
    cc.recorder.record(cj, { type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${rfc1123z(scheduled)}` });
    return later();
  }
  const name = jobName(cj, scheduled);
  const lastScheduled = cj.status!.lastScheduleTime ? Date.parse(cj.status!.lastScheduleTime) : undefined;
  if ((cj.status!.active ?? []).some((r) => r.name === name && r.namespace === cj.metadata.namespace) || lastScheduled === Math.floor(scheduled / 1000) * 1000) {
    return later(); // this schedule time was handled
  }
  if (spec.concurrencyPolicy === 'Forbid' && (cj.status!.active ?? []).length > 0) {
    cc.recorder.record(cj, { type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return later();
  }
  if (spec.concurrencyPolicy === 'Replace') {
    for (const ref of [...(cj.status!.active ?? [])]) {
      let job: Job;
      try {
        job = (await cc.kernel.get(JOBS, ref.namespace, ref.name!)) as Job;
      } catch (e) {
        cc.recorder.record(cj, { type: 'Warning', reason: 'FailedGet', message: `Get job: ${message(e)}` });
        throw e;
      }
      if (!(await deleteJob(cc, cj, job))) throw new Error(`could not replace job ${job.metadata.namespace}/${job.metadata.name}`);
      updateStatus = true;
    }
  }

  const req = jobFromTemplate(cj, scheduled);
  let created: Job;
  try {
    created = (await cc.kernel.create(JOBS, req)) as Job;
    cc.recorder.record(cj, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created job ${created.metadata.name}` });
  } catch (e) {
    if (!isAlreadyExists(e)) {
      if (!/because it is being terminated/.test(message(e))) cc.recorder.record(cj, { type: 'Warning', reason: 'FailedCreate', message: `Error creating job: ${message(e)}` });
      throw e;
    }
    // made before (by us before a restart, or by someone else): ours and not listed yet, or not ours at all
    created = (await cc.kernel.get(JOBS, req.metadata.namespace, req.metadata.name!)) as Job;
    if (!isControlledBy(created, cj) || inActive(cj, created.metadata.uid)) return { updateStatus };
  }
  (cj.status!.active ??= []).push(jobRef(created));
  cj.status!.lastScheduleTime = rfc3339(scheduled);
  return { requeueAfterMs: nextScheduleTimeDuration(cj, now, sched), updateStatus: true };
}
