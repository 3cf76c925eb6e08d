import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS } from '@skiff/api';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import { jobController } from './plugin.ts';
import { activePods, conditionOf, eventsFor, finishPod, getJob, jobPods, newJob, runPod } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: jobController(), config: { podFailureBackoffMs: 50, maxPodFailureBackoffMs: 200 } }]);
});
afterAll(async () => {
  expect(env?.warnings ?? []).toEqual([]); // no failed reconcile, no handler error
  await env?.stop();
});
const k = () => env.t.kernel;

describe('job-controller: completions and parallelism', () => {
  it('runs completions 3 with parallelism 2 to exactly 3 successes', async () => {
    await k().create(JOBS, newJob('three', { completions: 3, parallelism: 2 }));
    const first = await eventually(async () => {
      const a = await activePods(k(), 'three');
      return a.length === 2 && a;
    }, 10_000, 'two active pods');
    const job = await getJob(k(), 'three');
    // the pods: template labels (defaulted selector labels), tracking finalizer, controller reference
    for (const p of first) {
      expect(p.metadata.generateName).toBe('three-');
      expect(p.metadata.finalizers).toContain('batch.kubernetes.io/job-tracking');
      expect(p.metadata.labels?.['batch.kubernetes.io/job-name']).toBe('three');
      expect(p.metadata.labels?.['batch.kubernetes.io/controller-uid']).toBe(job.metadata.uid);
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'three', uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    await runPod(k(), first[0]);
    await eventually(async () => (await getJob(k(), 'three')).status?.ready === 1, 10_000, 'ready 1');
    expect((await getJob(k(), 'three')).status).toMatchObject({ active: 2, ready: 1 });

    await finishPod(k(), first[0]);
    // one success: one more pod (remaining completions 2 = parallelism), and the success counted
    await eventually(async () => {
      const j = await getJob(k(), 'three');
      return j.status?.succeeded === 1 && (await activePods(k(), 'three')).length === 2;
    }, 10_000, 'one success, two active');
    await finishPod(k(), first[1]);
    // two successes: remaining completions 1, so one active pod only
    const last = await eventually(async () => {
      const j = await getJob(k(), 'three');
      const a = await activePods(k(), 'three');
      return j.status?.succeeded === 2 && a.length === 1 && a;
    }, 10_000, 'two successes, one active');
    await finishPod(k(), last[0]);
    const done = await eventually(async () => {
      const j = await getJob(k(), 'three');
      return conditionOf(j, 'Complete')?.status === 'True' && j;
    }, 10_000, 'Complete');
    expect(done.status?.succeeded).toBe(3);
    expect(done.status?.failed).toBeUndefined();
    expect(done.status?.active).toBeUndefined();
    expect(done.status?.uncountedTerminatedPods).toEqual({});
    expect(conditionOf(done, 'SuccessCriteriaMet')).toMatchObject({ status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
    expect(conditionOf(done, 'Complete')).toMatchObject({ status: 'True', reason: 'CompletionsReached' });
    expect(done.status?.completionTime).toBe(conditionOf(done, 'Complete')?.lastTransitionTime);
    expect(done.status?.startTime).toBeTruthy();
    const pods = await jobPods(k(), 'three');
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.status?.phase === 'Succeeded' && !p.metadata.finalizers?.length)).toBe(true);
    await eventually(async () => {
      const evs = await eventsFor(k(), 'three');
      return evs.some((e) => e.reason === 'Completed' && e.message === 'Job completed') && evs.filter((e) => e.reason === 'SuccessfulCreate').length === 3;
    }, 5000, 'events');
    const creates = (await eventsFor(k(), 'three')).filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message).sort();
    expect(creates).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
  });

  it('with completions unset (a work queue) completes when one pod succeeded and none is active', async () => {
    await k().create(JOBS, newJob('queue', { parallelism: 3 }));
    const pods = await eventually(async () => {
      const a = await activePods(k(), 'queue');
      return a.length === 3 && a;
    }, 10_000, 'three workers');
    await finishPod(k(), pods[0]);
    // after the first success no new pod is made; the others run on
    await eventually(async () => (await getJob(k(), 'queue')).status?.succeeded === 1, 10_000, 'one success');
    expect(await activePods(k(), 'queue')).toHaveLength(2);
    expect(conditionOf(await getJob(k(), 'queue'), 'Complete')).toBeUndefined();
    await finishPod(k(), pods[1]);
    await finishPod(k(), pods[2]);
    const done = await eventually(async () => {
      const j = await getJob(k(), 'queue');
      return conditionOf(j, 'Complete')?.status === 'True' && j;
    }, 10_000, 'Complete');
    expect(done.status?.succeeded).toBe(3);
    expect(await jobPods(k(), 'queue')).toHaveLength(3);
  });

  it('leaves a Job managed by another controller (spec.managedBy) alone', async () => {
    await k().create(JOBS, newJob('foreign', { managedBy: 'example.com/other-controller' }));
    await k().create(JOBS, newJob('mine', { managedBy: 'kubernetes.io/job-controller' }));
    await eventually(async () => (await activePods(k(), 'mine')).length === 1, 10_000, 'the pod of the Job managed by this controller');
    await sleep(200);
    expect(await jobPods(k(), 'foreign')).toHaveLength(0);
    expect((await getJob(k(), 'foreign')).status ?? {}).toEqual({});
  });
});
