import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRON_JOBS, JOBS, type CronJob } from '@skiff/api';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import { FakeClock } from './clock.ts';
import { cronJobController } from './plugin.ts';
import { cronJobJobs, eventsFor, getCronJob, MINUTE, newCronJob, nextMinute, NS } from './testing.ts';

// a clock that runs in real time from where it is set: the controller's own timer must fire
const clock = new FakeClock(Date.now(), true);
let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: cronJobController({ clock }) }]);
});
afterAll(async () => {
  expect(env?.warnings ?? []).toEqual([]);
  await env?.stop();
});
const k = () => env.t.kernel;

describe('cronjob-controller: timing', () => {
  it('wakes up at the next schedule time by itself', async () => {
    const cj = (await k().create(CRON_JOBS, newCronJob('timer'))) as CronJob;
    const b = nextMinute(Math.max(Date.parse(cj.metadata.creationTimestamp!), clock.now()));
    // jump to 3 s before the second boundary: the first one is due at once
    clock.set(b + MINUTE - 3000);
    const [first] = await eventually(async () => {
      const j = await cronJobJobs(k(), cj);
      return j.length >= 1 && j;
    }, 5000, 'the Job of the first boundary');
    expect(first.metadata.name).toBe(`timer-${b / MINUTE}`);
    // no jump from here: only the controller's own requeue can start the next one, at the boundary
    const jobs = await eventually(async () => {
      const j = await cronJobJobs(k(), cj);
      return j.length === 2 && j;
    }, 8000, 'the Job of the second boundary');
    const seenAt = clock.now();
    expect(jobs[1].metadata.name).toBe(`timer-${b / MINUTE + 1}`);
    expect(seenAt).toBeGreaterThanOrEqual(b + MINUTE);
    expect(seenAt).toBeLessThan(b + MINUTE + 3000); // woken at the time, not by a later resync
    await k().delete(CRON_JOBS, NS, 'timer');
  });

  it('makes no second Job for a schedule time after a restart, even if its status write was lost', async () => {
    const cj = (await k().create(CRON_JOBS, newCronJob('restart', { concurrencyPolicy: 'Allow' }))) as CronJob;
    const b = nextMinute(Math.max(Date.parse(cj.metadata.creationTimestamp!), clock.now()));
    clock.set(b + 1000);
    await eventually(async () => ((await getCronJob(k(), 'restart')).status?.active ?? []).length === 1, 5000, 'one active');
    await env.host.stopAll();
    // as if the controller died between creating the Job and writing the status
    const cur = await getCronJob(k(), 'restart');
    await k().update(CRON_JOBS, { ...cur, status: {} }, { subresource: 'status' });
    const host = new PluginHost({ kernel: k(), logger: createConsoleLogger({ level: 'silent' }) });
    await host.load([{ descriptor: cronJobController({ clock }), config: { leaderElection: false } }]);
    try {
      await eventually(async () => ((await getCronJob(k(), 'restart')).status?.active ?? []).length === 1, 5000, 'the Job back in active');
      const jobs = (await k().list(JOBS, { namespace: NS })).items.filter((j) => j.metadata.name?.startsWith('restart-'));
      expect(jobs.map((j) => j.metadata.name)).toEqual([`restart-${b / MINUTE}`]);
      expect((await getCronJob(k(), 'restart')).status?.lastScheduleTime).toBe(new Date(b).toISOString().replace('.000Z', 'Z'));
      expect((await eventsFor(k(), 'restart')).filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(1);
    } finally {
      await host.stopAll();
    }
    env.host = new PluginHost({ kernel: k(), logger: createConsoleLogger({ level: 'silent' }) });
    await env.host.load([{ descriptor: cronJobController({ clock }), config: { leaderElection: false } }]);
  });
});
