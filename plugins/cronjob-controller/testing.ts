// Test helpers for the CronJob controller: CronJobs, their Jobs, and finishing a Job by writing its
// status (no Job controller runs in these tests).
import { rfc3339, CRON_JOBS, JOBS, type CronJob, type CronJobSpec, type Job } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';

export const NS = 'default';
export const MINUTE = 60_000;

export function newCronJob(name: string, spec: Partial<CronJobSpec> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NS },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { metadata: { labels: { cron: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } },
      ...spec,
    },
  };
}

export const getCronJob = async (k: Kernel, name: string) => (await k.get(CRON_JOBS, NS, name)) as CronJob;

/** The Jobs a CronJob controls, by name. */
export async function cronJobJobs(k: Kernel, cj: CronJob): Promise<Job[]> {
  const jobs = (await k.list(JOBS, { namespace: NS })).items as Job[];
  return jobs.filter((j) => j.metadata.ownerReferences?.some((r) => r.controller && r.uid === cj.metadata.uid)).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
}

/** The first minute boundary strictly after `t`. */
export const nextMinute = (t: number) => Math.floor(t / MINUTE) * MINUTE + MINUTE;


/** End a Job Complete or Failed (as the Job controller would write it). */
export async function finishJob(k: Kernel, job: Job, type: 'Complete' | 'Failed', at: number): Promise<Job> {
  const cur = (await k.get(JOBS, NS, job.metadata.name!)) as Job;
  const t = rfc3339(at);
  const cond = (ty: string) => ({ type: ty, status: 'True' as const, lastProbeTime: t, lastTransitionTime: t });
  const status: Job['status'] =
    type === 'Complete'
      ? { startTime: rfc3339(at - 1000), completionTime: t, succeeded: 1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] }
      : { startTime: rfc3339(at - 1000), failed: 1, conditions: [cond('FailureTarget'), cond('Failed')] };
  return (await k.update(JOBS, { ...cur, status }, { subresource: 'status' })) as Job;
}

export async function eventsFor(k: Kernel, name: string): Promise<{ reason: string; message: string; type: string }[]> {
  const evs = (await k.list({ group: '', version: 'v1', resource: 'events' }, { namespace: NS })).items as unknown as {
    involvedObject: { name: string };
    reason: string;
    message: string;
    type: string;
  }[];
  return evs.filter((e) => e.involvedObject.name === name).map(({ reason, message, type }) => ({ reason, message, type }));
}
