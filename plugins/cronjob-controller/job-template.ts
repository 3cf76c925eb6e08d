// The Job a CronJob starts for a schedule time (kube's getJobFromTemplate2): named
// `<cronjob>-<scheduled time in minutes since the epoch>` so one schedule time makes one Job at most,
// with the template's labels and annotations, the batch.kubernetes.io/cronjob-scheduled-timestamp
// annotation (RFC 3339 in the CronJob's time zone) and a controller reference.
import { newControllerRef, type CronJob, type Job, type ObjectReference } from '@skiff/api';
import { formatRFC3339 } from './zone.ts';

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export const jobName = (cj: CronJob, scheduled: number): string => `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;

export function jobFromTemplate(cj: CronJob, scheduled: number): Job {
  const tmpl = cj.spec!.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cj, scheduled),
      namespace: cj.metadata.namespace,
      labels: { ...tmpl.metadata?.labels },
      // no timeZone: UTC, as time.LoadLocation("") is
      annotations: { ...tmpl.metadata?.annotations, [SCHEDULED_TIMESTAMP]: formatRFC3339(scheduled, cj.spec?.timeZone ?? 'UTC') },
      ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')],
    },
    spec: structuredClone(tmpl.spec) as Job['spec'],
  };
}

/** The ObjectReference kept in status.active. */
export function jobRef(job: Job): ObjectReference {
  return {
    kind: 'Job',
    namespace: job.metadata.namespace,
    name: job.metadata.name,
    uid: job.metadata.uid,
    apiVersion: 'batch/v1',
    resourceVersion: job.metadata.resourceVersion,
  };
}
