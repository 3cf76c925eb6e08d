// 100 replicas, maxSurge 10%, maxUnavailable 10%, with the real ReplicaSet controller and a tiny
// "kubelet" that makes each new pod Ready a few ms after it appears: watched pod by pod, a rollout
// never has fewer than 90 available pods nor more than 110 (pods being deleted do not count, as in
// kube's status; here they are deleted at once, having no node).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, PODS, type Pod } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import replicaSetController from '../replicaset-controller/plugin.ts';
import controller from './plugin.ts';
import { NS, deployment, eventually, getDeployment, replicaSetsOf, setImage, sleep, tinyKubelet } from './testing.ts';

/** Every pod event of the deployment's pods, folded into counts after each one. */
function podCounter(k: Kernel, app: string) {
  const pods = new Map<string, { ready: boolean; deleting: boolean }>();
  const samples: { pods: number; available: number }[] = [];
  const w = k.watch(PODS, { namespace: NS, labelSelector: `app=${app}` });
  void (async () => {
    for await (const ev of w) {
      const p = ev.object as Pod;
      const name = p.metadata.name!;
      if (ev.type === 'DELETED') pods.delete(name);
      else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
        const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
        pods.set(name, { ready, deleting: !!p.metadata.deletionTimestamp });
      } else continue;
      let n = 0;
      let available = 0;
      for (const s of pods.values()) {
        if (s.deleting) continue;
        n++;
        if (s.ready) available++;
      }
      samples.push({ pods: n, available });
    }
  })().catch(() => undefined);
  return { samples, stop: () => w.stop() };
}

let env: ControllerTestEnv;
let kubelet: { stop(): void };
beforeAll(async () => {
  env = await startControllers([{ descriptor: controller }, { descriptor: replicaSetController }]);
  kubelet = tinyKubelet(env.t.kernel, 5);
});
afterAll(async () => {
  kubelet?.stop();
  await env?.stop();
});

const rolledOut = (replicas: number, generation?: number) =>
  eventually(async () => {
    const d = await getDeployment(env.t.kernel, 'big');
    const s = d.status;
    const done = s?.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas && (generation === undefined || s.observedGeneration === generation);
    return done ? d : undefined;
  }, 60_000, 'rollout complete', 50);

describe('100 replicas, maxSurge 10%, maxUnavailable 10%', () => {
  it('keeps at least 90 available and at most 110 pods at every moment of a rollout', async () => {
    const k = env.t.kernel;
    const strategy = { type: 'RollingUpdate' as const, rollingUpdate: { maxSurge: '10%', maxUnavailable: '10%' } };
    await k.create(DEPLOYMENTS, deployment('big', { replicas: 100, strategy }));
    await rolledOut(100);
    const counter = podCounter(k, 'big');
    await sleep(200); // the watch's initial ADDED events
    counter.samples.length = 0;
    const changed = await setImage(k, 'big', 'nginx:2');
    await rolledOut(100, changed.metadata.generation);
    await eventually(() => counter.samples.at(-1)?.pods === 100 && counter.samples.at(-1)?.available === 100, 10_000, 'old pods gone');
    counter.stop();
    const { samples } = counter;
    expect(samples.length).toBeGreaterThanOrEqual(300); // 100 created, 100 made ready, 100 deleted
    expect(Math.min(...samples.map((s) => s.available))).toBeGreaterThanOrEqual(90);
    expect(Math.max(...samples.map((s) => s.pods))).toBeLessThanOrEqual(110);
    // and it did use its budget
    expect(Math.max(...samples.map((s) => s.pods))).toBeGreaterThan(100);
    const [old, cur] = await replicaSetsOf(k, 'big');
    expect([old.spec?.replicas, cur.spec?.replicas]).toEqual([0, 100]);
    expect(env.warnings.filter((l) => !/conflict/i.test(l))).toEqual([]);
  });
});
