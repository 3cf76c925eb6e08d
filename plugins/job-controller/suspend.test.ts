import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS, type Job } from '@skiff/api';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import { jobController } from './plugin.ts';
import { activePods, conditionOf, eventsFor, finishPod, getJob, jobPods, newJob, runPod } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: jobController() }]);
});
afterAll(async () => {
  expect(env?.warnings ?? []).toEqual([]); // no failed reconcile, no handler error
  await env?.stop();
});
const k = () => env.t.kernel;

async function setSuspend(name: string, suspend: boolean): Promise<void> {
  await k().patch(JOBS, 'default', name, 'merge', { spec: { suspend } });
}

describe('job-controller: suspend', () => {
  it('creates nothing while suspended, starts on resume, deletes active pods (not counted as failures) when suspended again', async () => {
    await k().create(JOBS, newJob('sus', { completions: 4, parallelism: 2, suspend: true }));
    const suspended = await eventually(async () => {
      const j = await getJob(k(), 'sus');
      return conditionOf(j, 'Suspended')?.status === 'True' && j;
    }, 10_000, 'Suspended');
    expect(conditionOf(suspended, 'Suspended')).toMatchObject({ reason: 'JobSuspended', message: 'Job suspended' });
    expect(suspended.status?.startTime).toBeUndefined();
    await sleep(200);
    expect(await jobPods(k(), 'sus')).toHaveLength(0);

    await setSuspend('sus', false);
    const pods = await eventually(async () => {
      const a = await activePods(k(), 'sus');
      return a.length === 2 && a;
    }, 10_000, 'two pods');
    const resumed = await eventually(async () => {
      const j = await getJob(k(), 'sus');
      return conditionOf(j, 'Suspended')?.status === 'False' && j;
    }, 10_000, 'resumed');
    expect(conditionOf(resumed, 'Suspended')).toMatchObject({ reason: 'JobResumed', message: 'Job resumed' });
    const firstStart = resumed.status?.startTime;
    expect(firstStart).toBeTruthy();
    await runPod(k(), pods[0]);
    await finishPod(k(), pods[1]);
    await eventually(async () => (await getJob(k(), 'sus')).status?.succeeded === 1, 10_000, 'one success');

    await sleep(1100); // startTime has second resolution: let the resume below move it
    await setSuspend('sus', true);
    // the running pod and the one that replaced the success
    await eventually(async () => (await activePods(k(), 'sus')).length === 0 && (await jobPods(k(), 'sus')).length === 1, 10_000, 'the active pods deleted');
    const again = await eventually(async () => {
      const j = await getJob(k(), 'sus');
      return conditionOf(j, 'Suspended')?.status === 'True' && j.status?.active === undefined && j;
    }, 10_000, 'suspended again');
    expect(again.status?.failed).toBeUndefined();
    expect(again.status?.succeeded).toBe(1);

    await setSuspend('sus', false);
    const restarted = await eventually(async () => {
      const j = await getJob(k(), 'sus');
      return conditionOf(j, 'Suspended')?.status === 'False' && (j.status?.active ?? 0) === 2 && j;
    }, 10_000, 'resumed again');
    expect(Date.parse(restarted.status!.startTime!)).toBeGreaterThan(Date.parse(firstStart!)); // resume restarts the clock
    const evs = await eventually(async () => {
      const e = await eventsFor(k(), 'sus');
      return e.some((x) => x.reason === 'Resumed') && e.some((x) => x.reason === 'Suspended') && e;
    }, 5000, 'events');
    expect(evs.filter((e) => e.reason === 'SuccessfulDelete')).toHaveLength(2);
  });
});

describe('job-controller: TTL after finished', () => {
  it('deletes a finished Job ttlSecondsAfterFinished after it finished (foreground, uid precondition)', async () => {
    await k().create(JOBS, newJob('ttl', { ttlSecondsAfterFinished: 1 }));
    const [pod] = await eventually(async () => {
      const a = await activePods(k(), 'ttl');
      return a.length === 1 && a;
    }, 10_000, 'the pod');
    await finishPod(k(), pod);
    const done = await eventually(async () => {
      const j = await getJob(k(), 'ttl');
      return conditionOf(j, 'Complete') && j;
    }, 10_000, 'Complete');
    const finishedAt = Date.parse(conditionOf(done, 'Complete')!.lastTransitionTime!);
    // no garbage collector runs here: the foreground deletion leaves the Job marked, with the GC's finalizer
    const marked = await eventually(async () => {
      const j = await getJob(k(), 'ttl');
      return !!j.metadata.deletionTimestamp && j;
    }, 10_000, 'the Job deleted');
    expect(Date.now()).toBeGreaterThanOrEqual(finishedAt + 1000);
    expect(marked.metadata.finalizers).toContain('foregroundDeletion');
  });

  it('leaves a finished Job without a TTL alone', async () => {
    await k().create(JOBS, newJob('keep'));
    const [pod] = await eventually(async () => {
      const a = await activePods(k(), 'keep');
      return a.length === 1 && a;
    }, 10_000, 'the pod');
    await finishPod(k(), pod);
    await eventually(async () => conditionOf(await getJob(k(), 'keep'), 'Complete'), 10_000, 'Complete');
    await sleep(1200);
    const j: Job = await getJob(k(), 'keep');
    expect(j.metadata.deletionTimestamp).toBeUndefined();
  });
});
