import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS, type Pod } from '@skiff/api';
import { startControllers, eventually, type ControllerTestEnv } from '../../client/testing.ts';
import { completionIndex, duplicateIndexPods, firstPendingIndexes, matchSuccessPolicy, podGenerateNameWithIndex } from './indexed.ts';
import { formatIntervals, hasIndex, parseIntervals, totalIndexes, withIndexes } from './intervals.ts';
import { jobController } from './plugin.ts';
import { activePods, conditionOf, finishPod, getJob, jobPods, newJob } from './testing.ts';

describe('completed index intervals', () => {
  it('write kube\'s interval strings', () => {
    expect(formatIntervals(withIndexes([], [1, 3, 4, 5]))).toBe('1,3-5');
    expect(formatIntervals(withIndexes([], [0, 1]))).toBe('0,1'); // neighbours are not a range
    expect(formatIntervals(withIndexes(parseIntervals('1,3-5', 10), [2, 7]))).toBe('1-5,7');
    expect(formatIntervals(parseIntervals('0-3,5,6', 5))).toBe('0-3'); // past completions dropped
    expect(formatIntervals(parseIntervals('0,1,2', 10))).toBe('0-2'); // neighbours merged on read
    const iv = parseIntervals('2-4,9', 10);
    expect(totalIndexes(iv)).toBe(4);
    expect([1, 2, 4, 5, 9].map((x) => hasIndex(iv, x))).toEqual([false, true, true, false, true]);
  });

  it('pick the lowest pending indexes', () => {
    const job = newJob('j', { completions: 6, completionMode: 'Indexed' });
    const pod = (ix: number): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${ix}`, annotations: { 'batch.kubernetes.io/job-completion-index': String(ix) } } });
    expect(firstPendingIndexes(job, [], [pod(1)], parseIntervals('0,3', 6), undefined, 3)).toEqual([2, 4, 5]);
    expect(firstPendingIndexes(job, [], [], parseIntervals('0-5', 6), undefined, 3)).toEqual([]);
    // an index held twice loses one pod; a pod without an index goes
    const { rm, left } = duplicateIndexPods([pod(1), pod(1), pod(2), { ...pod(0), metadata: { name: 'x' } }], 6);
    expect(rm.map((p) => p.metadata.name).sort()).toEqual(['p1', 'x']);
    expect(left.map(completionIndex).sort()).toEqual([1, 2]);
    expect(podGenerateNameWithIndex('job', 3)).toBe('job-3-');
    expect(podGenerateNameWithIndex('x'.repeat(60), 12)).toBe(`${'x'.repeat(54)}-12-`);
  });

  it('match success policies', () => {
    const done = parseIntervals('0-2,5', 10);
    expect(matchSuccessPolicy([{ succeededIndexes: '0-2' }], 10, done)).toBe('Matched rules at index 0');
    expect(matchSuccessPolicy([{ succeededIndexes: '0-3' }, { succeededCount: 4 }], 10, done)).toBe('Matched rules at index 1');
    expect(matchSuccessPolicy([{ succeededIndexes: '3-9', succeededCount: 2 }], 10, done)).toBeUndefined();
    expect(matchSuccessPolicy([{ succeededIndexes: '2-9', succeededCount: 2 }], 10, done)).toBe('Matched rules at index 0');
  });
});

describe('job-controller: Indexed completion mode', () => {
  let env: ControllerTestEnv;
  beforeAll(async () => {
    env = await startControllers([{ descriptor: jobController(), config: { podFailureBackoffMs: 50, maxPodFailureBackoffMs: 100 } }]);
  });
  afterAll(async () => {
    expect(env?.warnings ?? []).toEqual([]); // no failed reconcile, no handler error
    await env?.stop();
  });
  const k = () => env.t.kernel;

  it('gives each pod an index (annotation, label, hostname, env) and completes once every index succeeded', async () => {
    await k().create(JOBS, newJob('idx', { completions: 5, parallelism: 3, completionMode: 'Indexed' }));
    const first = await eventually(async () => {
      const a = await activePods(k(), 'idx');
      return a.length === 3 && a;
    }, 10_000, 'three pods');
    expect(first.map(completionIndex).sort()).toEqual([0, 1, 2]);
    for (const p of first) {
      const ix = completionIndex(p);
      expect(p.metadata.labels?.['batch.kubernetes.io/job-completion-index']).toBe(String(ix));
      expect(p.metadata.generateName).toBe(`idx-${ix}-`);
      expect(p.spec?.hostname).toBe(`idx-${ix}`);
      expect(p.spec?.containers[0].env).toContainEqual({
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } },
      });
    }
    const byIx = (pods: Pod[], ix: number) => pods.find((p) => completionIndex(p) === ix)!;
    await finishPod(k(), byIx(first, 1));
    await finishPod(k(), byIx(first, 0), { exitCode: 2 }); // index 0 fails: it is retried
    await eventually(async () => (await getJob(k(), 'idx')).status?.completedIndexes === '1', 10_000, 'index 1 done');
    const second = await eventually(async () => {
      const a = await activePods(k(), 'idx');
      return a.length === 3 && a.map(completionIndex).sort().join() === '0,2,3' && a;
    }, 10_000, 'indexes 0 (again), 2, 3');
    await eventually(async () => (await getJob(k(), 'idx')).status?.failed === 1, 10_000, 'failed 1');
    expect((await getJob(k(), 'idx')).status).toMatchObject({ succeeded: 1, failed: 1, completedIndexes: '1' });
    await finishPod(k(), byIx(second, 3));
    await eventually(async () => (await getJob(k(), 'idx')).status?.completedIndexes === '1,3', 10_000, '"1,3"');
    await finishPod(k(), byIx(second, 2));
    await eventually(async () => (await getJob(k(), 'idx')).status?.completedIndexes === '1-3', 10_000, '"1-3"');
    const third = await eventually(async () => {
      const a = await activePods(k(), 'idx');
      return a.map(completionIndex).sort().join() === '0,4' && a;
    }, 10_000, 'indexes 0 and 4');
    await finishPod(k(), byIx(third, 4));
    await finishPod(k(), byIx(third, 0));
    const done = await eventually(async () => {
      const j = await getJob(k(), 'idx');
      return conditionOf(j, 'Complete')?.status === 'True' && j;
    }, 10_000, 'Complete');
    expect(done.status).toMatchObject({ succeeded: 5, failed: 1, completedIndexes: '0-4' });
    expect(await jobPods(k(), 'idx')).toHaveLength(6);
  });

  it('with backoffLimitPerIndex fails an index, not the Job, until the indexes are all done', async () => {
    await k().create(JOBS, newJob('perix', { completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 1, backoffLimit: 100 }));
    const pods = await eventually(async () => {
      const a = await activePods(k(), 'perix');
      return a.length === 2 && a;
    }, 10_000, 'two pods');
    const ix0 = pods.find((p) => completionIndex(p) === 0)!;
    const ix1 = pods.find((p) => completionIndex(p) === 1)!;
    expect(ix0.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count']).toBe('0');
    await finishPod(k(), ix0, { exitCode: 1 });
    const retry = await eventually(async () => {
      const a = (await activePods(k(), 'perix')).filter((p) => completionIndex(p) === 0);
      return a.length === 1 && a[0].metadata.name !== ix0.metadata.name && a[0];
    }, 10_000, 'index 0 again');
    expect(retry.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count']).toBe('1');
    await finishPod(k(), retry, { exitCode: 1 });
    await eventually(async () => (await getJob(k(), 'perix')).status?.failedIndexes === '0', 10_000, 'index 0 failed');
    expect(conditionOf(await getJob(k(), 'perix'), 'Failed')).toBeUndefined();
    await finishPod(k(), ix1);
    const failed = await eventually(async () => {
      const j = await getJob(k(), 'perix');
      return conditionOf(j, 'Failed')?.status === 'True' && j;
    }, 10_000, 'Failed');
    expect(conditionOf(failed, 'Failed')).toMatchObject({ reason: 'FailedIndexes', message: 'Job has failed indexes' });
    expect(failed.status).toMatchObject({ completedIndexes: '1', failedIndexes: '0', succeeded: 1, failed: 2 });
  });
});
