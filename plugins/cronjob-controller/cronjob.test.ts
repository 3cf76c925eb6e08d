import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRON_JOBS, type CronJob } from '@skiff/api';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import { FakeClock } from './clock.ts';
import { cronJobController } from './plugin.ts';
import { cronJobJobs, eventsFor, finishJob, getCronJob, MINUTE, newCronJob, nextMinute, NS } from './testing.ts';

const clock = new FakeClock(Date.now());
let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: cronJobController({ clock }) }]);
});
afterAll(async () => {
  expect(env?.warnings ?? []).toEqual([]);
  await env?.stop();
});
const k = () => env.t.kernel;

/** Create the CronJob; returns it and the first schedule boundary after both its creation and the clock. */
async function start(cj: CronJob): Promise<{ cj: CronJob; first: number }> {
  const created = (await k().create(CRON_JOBS, cj)) as CronJob;
  return { cj: created, first: nextMinute(Math.max(Date.parse(created.metadata.creationTimestamp!), clock.now())) };
}
const jobsOf = async (cj: CronJob, n: number) =>
  eventually(async () => {
    const jobs = await cronJobJobs(k(), cj);
    return jobs.length === n && jobs;
  }, 10_000, `${n} jobs of ${cj.metadata.name}`);
const activeNames = async (name: string) => ((await getCronJob(k(), name)).status?.active ?? []).map((r) => r.name).sort();

describe('cronjob-controller', () => {
  it('creates a Job per schedule time (Allow), named by the minute, and tracks active, lastScheduleTime, lastSuccessfulTime', async () => {
    const { cj, first } = await start(newCronJob('every', { jobTemplate: { metadata: { labels: { cron: 'every' }, annotations: { note: 'x' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } } }));
    await sleep(200);
    expect(await cronJobJobs(k(), cj)).toHaveLength(0); // nothing due yet
    clock.set(first + 1000);
    const [j1] = await jobsOf(cj, 1);
    expect(j1.metadata.name).toBe(`every-${first / MINUTE}`);
    expect(j1.metadata.labels).toEqual({ cron: 'every' });
    expect(j1.metadata.annotations).toEqual({ note: 'x', 'batch.kubernetes.io/cronjob-scheduled-timestamp': new Date(first).toISOString().replace('.000Z', 'Z') });
    expect(j1.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'every', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    await eventually(async () => (await activeNames('every')).length === 1, 5000, 'active');
    const s1 = (await getCronJob(k(), 'every')).status!;
    expect(s1.active).toEqual([{ kind: 'Job', namespace: NS, name: j1.metadata.name, uid: j1.metadata.uid, apiVersion: 'batch/v1', resourceVersion: j1.metadata.resourceVersion }]);
    expect(s1.lastScheduleTime).toBe(new Date(first).toISOString().replace('.000Z', 'Z'));

    clock.set(first + MINUTE + 1000);
    const both = await jobsOf(cj, 2);
    expect(both[1].metadata.name).toBe(`every-${first / MINUTE + 1}`);
    await eventually(async () => (await activeNames('every')).length === 2, 5000, 'two active (Allow)');

    await finishJob(k(), j1, 'Complete', first + 30_000);
    await eventually(async () => (await activeNames('every')).join() === both[1].metadata.name, 5000, 'the finished Job leaves active');
    const s2 = (await getCronJob(k(), 'every')).status!;
    expect(s2.lastSuccessfulTime).toBe(new Date(first + 30_000).toISOString().replace('.000Z', 'Z'));
    const evs = await eventually(async () => {
      const e = await eventsFor(k(), 'every');
      return e.some((x) => x.reason === 'SawCompletedJob') && e;
    }, 5000, 'events');
    expect(evs).toContainEqual({ type: 'Normal', reason: 'SuccessfulCreate', message: `Created job ${j1.metadata.name}` });
    expect(evs).toContainEqual({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j1.metadata.name}, condition: Complete` });
    expect(evs.filter((e) => e.reason === 'UnexpectedJob')).toEqual([]); // its own Jobs are never unexpected
    await k().delete(CRON_JOBS, NS, 'every');
  });

  it('Forbid: no new Job while one is active; the missed time runs once it finished', async () => {
    const { cj, first } = await start(newCronJob('forbid', { concurrencyPolicy: 'Forbid' }));
    clock.set(first + 1000);
    const [j1] = await jobsOf(cj, 1);
    clock.set(first + MINUTE + 1000);
    await eventually(async () => (await eventsFor(k(), 'forbid')).some((e) => e.reason === 'JobAlreadyActive'), 5000, 'JobAlreadyActive');
    expect(await cronJobJobs(k(), cj)).toHaveLength(1);
    expect((await eventsFor(k(), 'forbid')).find((e) => e.reason === 'JobAlreadyActive')?.message).toBe('Not starting job because prior execution is running and concurrency policy is Forbid');
    await finishJob(k(), j1, 'Complete', first + MINUTE);
    const jobs = await jobsOf(cj, 2);
    expect(jobs[1].metadata.name).toBe(`forbid-${first / MINUTE + 1}`);
    await k().delete(CRON_JOBS, NS, 'forbid');
  });

  it('Replace: the active Job is deleted for the new one', async () => {
    const { cj, first } = await start(newCronJob('replace', { concurrencyPolicy: 'Replace' }));
    clock.set(first + 1000);
    const [j1] = await jobsOf(cj, 1);
    await eventually(async () => (await activeNames('replace')).length === 1, 5000, 'active');
    clock.set(first + MINUTE + 1000);
    await eventually(async () => {
      const jobs = await cronJobJobs(k(), cj);
      return jobs.length === 1 && jobs[0].metadata.name === `replace-${first / MINUTE + 1}`;
    }, 10_000, 'replaced');
    await eventually(async () => (await activeNames('replace')).join() === `replace-${first / MINUTE + 1}`, 5000, 'active is the new one');
    expect(await eventsFor(k(), 'replace')).toContainEqual({ type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted job ${j1.metadata.name}` });
    await k().delete(CRON_JOBS, NS, 'replace');
  });

  it('keeps successfulJobsHistoryLimit finished Jobs and failedJobsHistoryLimit failed ones, deleting the oldest', async () => {
    const { cj, first } = await start(newCronJob('history', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }));
    for (let i = 0; i < 4; i++) {
      clock.set(first + i * MINUTE + 1000);
      await jobsOf(cj, i + 1);
    }
    const jobs = await cronJobJobs(k(), cj);
    await finishJob(k(), jobs[0], 'Complete', first + 10_000);
    await finishJob(k(), jobs[1], 'Complete', first + MINUTE + 10_000);
    await finishJob(k(), jobs[2], 'Failed', first + 2 * MINUTE + 10_000);
    await finishJob(k(), jobs[3], 'Failed', first + 3 * MINUTE + 10_000);
    await eventually(async () => (await cronJobJobs(k(), cj)).length === 2, 10_000, 'two kept');
    expect((await cronJobJobs(k(), cj)).map((j) => j.metadata.name)).toEqual([jobs[1].metadata.name, jobs[3].metadata.name]);
    const deletes = (await eventsFor(k(), 'history')).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message).sort();
    expect(deletes).toEqual([`Deleted job ${jobs[0].metadata.name}`, `Deleted job ${jobs[2].metadata.name}`].sort());
    await eventually(async () => (await activeNames('history')).length === 0, 5000, 'none active');
    await k().delete(CRON_JOBS, NS, 'history');
  });

  it('starts nothing while suspended, nor later than startingDeadlineSeconds', async () => {
    const { cj, first } = await start(newCronJob('suspended', { suspend: true }));
    clock.set(first + 1000);
    await sleep(300);
    expect(await cronJobJobs(k(), cj)).toHaveLength(0);
    await k().delete(CRON_JOBS, NS, 'suspended');

    // a schedule time older than startingDeadlineSeconds is not started (kube counts from now - deadline)
    const late = await start(newCronJob('late', { startingDeadlineSeconds: 10 }));
    clock.set(late.first + 30_000);
    await sleep(300);
    expect(await cronJobJobs(k(), late.cj)).toHaveLength(0);
    // one within the deadline is
    clock.set(late.first + MINUTE + 5000);
    const [job] = await jobsOf(late.cj, 1);
    expect(job.metadata.name).toBe(`late-${late.first / MINUTE + 1}`);
    await k().delete(CRON_JOBS, NS, 'late');
  });

  it('warns TooManyMissedTimes after more than 100 missed times, and runs the latest', async () => {
    const { cj, first } = await start(newCronJob('missed'));
    clock.set(first + 150 * MINUTE + 5000);
    const [job] = await jobsOf(cj, 1);
    expect(job.metadata.name).toBe(`missed-${first / MINUTE + 150}`);
    await eventually(async () => (await eventsFor(k(), 'missed')).some((e) => e.reason === 'TooManyMissedTimes'), 5000, 'TooManyMissedTimes');
    expect((await eventsFor(k(), 'missed')).find((e) => e.reason === 'TooManyMissedTimes')).toEqual({
      type: 'Warning',
      reason: 'TooManyMissedTimes',
      message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    });
    await k().delete(CRON_JOBS, NS, 'missed');
  });
});
