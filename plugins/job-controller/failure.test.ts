import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS } from '@skiff/api';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import { jobController } from './plugin.ts';
import { activePods, conditionOf, eventsFor, finishPod, getJob, jobPods, newJob, runPod } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: jobController(), config: { podFailureBackoffMs: 100, maxPodFailureBackoffMs: 400 } }]);
});
afterAll(async () => {
  expect(env?.warnings ?? []).toEqual([]); // no failed reconcile, no handler error
  await env?.stop();
});
const k = () => env.t.kernel;

const onePod = async (name: string, n: number) =>
  eventually(async () => {
    const pods = await jobPods(k(), name);
    const a = pods.filter((p) => !p.metadata.deletionTimestamp && !p.status?.phase?.match(/Succeeded|Failed/));
    return pods.length === n && a.length === 1 && a[0];
  }, 10_000, `pod #${n} of ${name}`);

describe('job-controller: failures', () => {
  it('stops at backoffLimit with the Failed condition', async () => {
    await k().create(JOBS, newJob('failing', { backoffLimit: 2 }));
    for (let n = 1; n <= 3; n++) {
      const pod = await onePod('failing', n);
      await finishPod(k(), pod, { exitCode: 1 });
    }
    const failed = await eventually(async () => {
      const j = await getJob(k(), 'failing');
      return conditionOf(j, 'Failed')?.status === 'True' && j;
    }, 10_000, 'Failed');
    expect(conditionOf(failed, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(conditionOf(failed, 'FailureTarget')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded' });
    expect(conditionOf(failed, 'Complete')).toBeUndefined();
    expect(failed.status?.failed).toBe(3);
    expect(failed.status?.succeeded).toBeUndefined();
    expect(failed.status?.completionTime).toBeUndefined();
    await sleep(300);
    expect(await jobPods(k(), 'failing')).toHaveLength(3); // backoffLimit 2: three pods, no fourth
    await eventually(async () => (await eventsFor(k(), 'failing')).some((e) => e.type === 'Warning' && e.reason === 'BackoffLimitExceeded' && e.message === 'Job has reached the specified backoff limit'), 5000, 'event');
  });

  it('fails at once on a FailJob rule of the podFailurePolicy, and deletes the other pods', async () => {
    await k().create(
      JOBS,
      newJob('policy', {
        parallelism: 2,
        completions: 4,
        backoffLimit: 6,
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } }] },
      }),
    );
    const pods = await eventually(async () => {
      const a = await activePods(k(), 'policy');
      return a.length === 2 && a;
    }, 10_000, 'two pods');
    await runPod(k(), pods[1]);
    await finishPod(k(), pods[0], { exitCode: 42 });
    const failed = await eventually(async () => {
      const j = await getJob(k(), 'policy');
      return conditionOf(j, 'Failed')?.status === 'True' && j;
    }, 10_000, 'Failed');
    const msg = `Container main for pod default/${pods[0].metadata.name} failed with exit code 42 matching FailJob rule at index 0`;
    expect(conditionOf(failed, 'Failed')).toMatchObject({ reason: 'PodFailurePolicy', message: msg });
    expect(conditionOf(failed, 'FailureTarget')).toMatchObject({ reason: 'PodFailurePolicy', message: msg });
    // both count: the failed one and the running one deleted because the Job failed
    expect(failed.status?.failed).toBe(2);
    expect(failed.status?.active).toBeUndefined();
    expect(failed.status?.terminating).toBe(0);
    await eventually(async () => (await jobPods(k(), 'policy')).length === 1, 5000, 'the running pod deleted');
    expect((await eventsFor(k(), 'policy')).some((e) => e.reason === 'PodFailurePolicy' && e.message === msg)).toBe(true);
  });

  it('does not count failures an Ignore rule matches, and counts those of a Count rule', async () => {
    await k().create(
      JOBS,
      newJob('ignore', {
        backoffLimit: 0,
        podFailurePolicy: {
          rules: [
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
            { action: 'Count', onExitCodes: { operator: 'NotIn', values: [0] } },
          ],
        },
      }),
    );
    const first = await onePod('ignore', 1);
    await finishPod(k(), first, { exitCode: 137, conditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    const second = await onePod('ignore', 2);
    const j = await getJob(k(), 'ignore');
    expect(j.status?.failed).toBeUndefined(); // ignored
    expect(conditionOf(j, 'Failed')).toBeUndefined();
    await finishPod(k(), second, { exitCode: 3 });
    const failed = await eventually(async () => {
      const x = await getJob(k(), 'ignore');
      return conditionOf(x, 'Failed')?.status === 'True' && x;
    }, 10_000, 'Failed');
    expect(conditionOf(failed, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(failed.status?.failed).toBe(1);
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds, deleting the active pods', async () => {
    await k().create(JOBS, newJob('deadline', { activeDeadlineSeconds: 1, parallelism: 2, completions: 2 }));
    await eventually(async () => (await activePods(k(), 'deadline')).length === 2, 10_000, 'two pods');
    const failed = await eventually(async () => {
      const j = await getJob(k(), 'deadline');
      return conditionOf(j, 'Failed')?.status === 'True' && j;
    }, 10_000, 'Failed');
    expect(conditionOf(failed, 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(failed.status?.failed).toBe(2);
    expect(await jobPods(k(), 'deadline')).toHaveLength(0);
    await eventually(async () => {
      const evs = await eventsFor(k(), 'deadline');
      return evs.some((e) => e.type === 'Warning' && e.reason === 'DeadlineExceeded') && evs.filter((e) => e.reason === 'SuccessfulDelete').length === 2;
    }, 5000, 'events');
  });

  it('counts a pod deleted while running as failed and replaces it; one deleted after finishing is counted once', async () => {
    await k().create(JOBS, newJob('deleted', { completions: 2, parallelism: 1 }));
    const first = await onePod('deleted', 1);
    await k().delete({ group: '', version: 'v1', resource: 'pods' }, 'default', first.metadata.name!);
    const second = await eventually(async () => {
      const a = await activePods(k(), 'deleted');
      return a.length === 1 && a[0].metadata.name !== first.metadata.name && a[0];
    }, 10_000, 'a replacement');
    await eventually(async () => (await getJob(k(), 'deleted')).status?.failed === 1, 10_000, 'failed 1');
    await finishPod(k(), second);
    await eventually(async () => (await getJob(k(), 'deleted')).status?.succeeded === 1, 10_000, 'succeeded 1');
    // deleting the finished (counted, finalizer gone) pod changes nothing
    await k().delete({ group: '', version: 'v1', resource: 'pods' }, 'default', second.metadata.name!);
    const third = await eventually(async () => {
      const a = await activePods(k(), 'deleted');
      return a.length === 1 && a[0].metadata.name !== second.metadata.name && a[0];
    }, 10_000, 'the second completion');
    await sleep(200);
    expect((await getJob(k(), 'deleted')).status).toMatchObject({ succeeded: 1, failed: 1, active: 1 });
    await finishPod(k(), third);
    const done = await eventually(async () => {
      const j = await getJob(k(), 'deleted');
      return conditionOf(j, 'Complete')?.status === 'True' && j;
    }, 10_000, 'Complete');
    expect(done.status).toMatchObject({ succeeded: 2, failed: 1 });
  });
});
