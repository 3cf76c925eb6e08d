import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS, type Pod } from '@skiff/api';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import { BackoffStore, remainingBackoff } from './backoff.ts';
import { jobController } from './plugin.ts';
import { finishPod, jobPods, newJob } from './testing.ts';

const pod = (phase: string, finishedAt: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', creationTimestamp: '2024-01-01T00:00:00Z' },
  status: { phase: phase as 'Failed', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 1, finishedAt } } }] },
});

describe('pod failure back-off', () => {
  it('doubles from the base per failure since the last success, up to the cap', () => {
    const base = 10_000;
    const max = 600_000;
    expect(remainingBackoff(0, undefined, 0, base, max)).toBe(0);
    expect(remainingBackoff(1, 0, 0, base, max)).toBe(10_000);
    expect(remainingBackoff(2, 0, 0, base, max)).toBe(20_000);
    expect(remainingBackoff(3, 0, 5_000, base, max)).toBe(35_000);
    expect(remainingBackoff(7, 0, 0, base, max)).toBe(600_000); // 640 s capped
    expect(remainingBackoff(20, 0, 0, base, max)).toBe(600_000);
    expect(remainingBackoff(1, 0, 10_001, base, max)).toBe(0);
  });

  it('keeps failures after the last success only', () => {
    const s = new BackoffStore();
    let r = s.next('ns/j', [], [pod('Failed', '2024-01-01T00:00:10Z'), pod('Failed', '2024-01-01T00:00:05Z')]);
    expect(r).toEqual({ key: 'ns/j', failuresAfterLastSuccess: 2, lastFailureTime: Date.parse('2024-01-01T00:00:10Z') });
    s.update(r);
    r = s.next('ns/j', [pod('Succeeded', '2024-01-01T00:00:20Z')], [pod('Failed', '2024-01-01T00:00:15Z'), pod('Failed', '2024-01-01T00:00:30Z')]);
    expect(r).toEqual({ key: 'ns/j', failuresAfterLastSuccess: 1, lastFailureTime: Date.parse('2024-01-01T00:00:30Z') });
    s.update(r);
    expect(s.next('ns/j', [pod('Succeeded', '2024-01-01T00:00:40Z')], [])).toEqual({ key: 'ns/j', failuresAfterLastSuccess: 0, lastFailureTime: undefined });
  });
});

describe('job-controller: the back-off in action', () => {
  let env: ControllerTestEnv;
  beforeAll(async () => {
    env = await startControllers([{ descriptor: jobController(), config: { podFailureBackoffMs: 2500, maxPodFailureBackoffMs: 5000 } }]);
  });
  afterAll(() => env?.stop());

  it('waits the back-off after a failure before it creates the replacement', async () => {
    const k = env.t.kernel;
    await k.create(JOBS, newJob('slow', { backoffLimit: 3 }));
    const [first] = await eventually(async () => {
      const p = await jobPods(k, 'slow');
      return p.length === 1 && p;
    }, 10_000, 'the first pod');
    await finishPod(k, first, { exitCode: 1 });
    const failedAt = Date.now();
    // the finish time has second resolution, so at least 2.5 s - 1 s must pass
    await sleep(1000);
    expect(await jobPods(k, 'slow')).toHaveLength(1);
    await eventually(async () => (await jobPods(k, 'slow')).length === 2, 10_000, 'the replacement');
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(1400);
  });
});
