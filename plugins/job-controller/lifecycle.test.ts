import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRON_JOBS, JOBS, PODS, type CronJob, type Job, type Pod } from '@skiff/api';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import { jobController } from './plugin.ts';
import { activePods, conditionOf, finishPod, getJob, jobPods, newJob, NS } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: jobController() }]);
});
afterAll(async () => {
  expect(env?.warnings ?? []).toEqual([]); // no failed reconcile, no handler error
  await env?.stop();
});
const k = () => env.t.kernel;

describe('job-controller: restarts, adoption, orphans', () => {
  it('after a restart counts what finished (and was deleted) meanwhile once and creates no duplicate', async () => {
    await k().create(JOBS, newJob('restart', { completions: 4, parallelism: 2 }));
    const pods = await eventually(async () => {
      const a = await activePods(k(), 'restart');
      return a.length === 2 && a;
    }, 10_000, 'two pods');
    await env.host.stopAll();
    // while it is down, a pod succeeds and is deleted: the tracking finalizer keeps it until counted
    await finishPod(k(), pods[0]);
    await k().delete(PODS, NS, pods[0].metadata.name!);
    expect(((await k().get(PODS, NS, pods[0].metadata.name!)) as Pod).metadata.deletionTimestamp).toBeTruthy();
    const host = new PluginHost({ kernel: k(), logger: createConsoleLogger({ level: 'silent' }) });
    await host.load([{ descriptor: jobController(), config: { leaderElection: false } }]);
    try {
      await eventually(async () => (await getJob(k(), 'restart')).status?.succeeded === 1 && (await activePods(k(), 'restart')).length === 2, 10_000, 'counted and replaced');
      await sleep(300);
      // counted once (as a success, though deleted), then let go; one replacement, no duplicate
      const left = await jobPods(k(), 'restart');
      expect(left).toHaveLength(2);
      expect(left.map((p) => p.metadata.name)).not.toContain(pods[0].metadata.name);
      expect((await getJob(k(), 'restart')).status).toMatchObject({ succeeded: 1, active: 2 });
      expect((await getJob(k(), 'restart')).status?.failed).toBeUndefined();
    } finally {
      await host.stopAll();
    }
    // the test env's host runs again for the other tests
    env.host = new PluginHost({ kernel: k(), logger: createConsoleLogger({ level: 'silent' }) });
    await env.host.load([{ descriptor: jobController(), config: { leaderElection: false } }]);
  });

  it('adopts an orphan pod that carries its controller-uid label, and counts it', async () => {
    const job = (await k().create(JOBS, newJob('adopt', { completions: 1, suspend: true }))) as Job;
    const labels = job.spec!.template.metadata!.labels!;
    // a pod that already ran to success, its labels set last (a suspended Job deletes active pods it adopts)
    const orphan = (await k().create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'adopt-orphan', namespace: NS, labels: { other: 'x' } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
    })) as Pod;
    await finishPod(k(), orphan);
    await k().patch(PODS, NS, 'adopt-orphan', 'merge', { metadata: { labels } });
    const done = await eventually(async () => {
      const j = await getJob(k(), 'adopt');
      return conditionOf(j, 'Complete')?.status === 'True' && j;
    }, 10_000, 'Complete');
    expect(done.status?.succeeded).toBe(1);
    const adopted = (await k().get(PODS, NS, 'adopt-orphan')) as Pod;
    expect(adopted.metadata.uid).toBe(orphan.metadata.uid);
    expect(adopted.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'adopt', uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(adopted.metadata.finalizers ?? []).toEqual([]); // added on adoption, removed once counted
    expect((await jobPods(k(), 'adopt')).map((p) => p.metadata.name)).toEqual(['adopt-orphan']);
  });

  it('removes the tracking finalizer from the pods of a deleted Job', async () => {
    await k().create(JOBS, newJob('gone', { parallelism: 2, completions: 2 }));
    const pods = await eventually(async () => {
      const a = await activePods(k(), 'gone');
      return a.length === 2 && a;
    }, 10_000, 'two pods');
    await k().delete(JOBS, NS, 'gone', { propagationPolicy: 'Background' });
    await eventually(async () => {
      const now = await Promise.all(pods.map((p) => k().get(PODS, NS, p.metadata.name!) as Promise<Pod>));
      return now.every((p) => !p.metadata.finalizers?.length);
    }, 10_000, 'finalizers removed');
  });

  it('runs a Job made from a CronJob as `kubectl create job --from=cronjob/x` makes it', async () => {
    const cj = (await k().create(CRON_JOBS, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: NS },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          metadata: { labels: { app: 'nightly' }, annotations: { team: 'batch' } },
          spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'busybox' }] } } },
        },
      },
    })) as CronJob;
    // what kubectl sends (client side): the template's spec, the manual-instantiation annotation, a controller reference
    await k().create(JOBS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'nightly-manual',
        namespace: NS,
        labels: { app: 'nightly' },
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual', team: 'batch' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: cj.metadata.uid!, controller: true }],
      },
      spec: cj.spec!.jobTemplate.spec,
    } as Job);
    const [pod] = await eventually(async () => {
      const a = await activePods(k(), 'nightly-manual');
      return a.length === 1 && a;
    }, 10_000, 'the pod');
    await finishPod(k(), pod);
    const done = await eventually(async () => {
      const j = await getJob(k(), 'nightly-manual');
      return conditionOf(j, 'Complete')?.status === 'True' && j;
    }, 10_000, 'Complete');
    expect(done.status?.succeeded).toBe(1);
  });
});
