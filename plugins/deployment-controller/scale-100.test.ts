// 100 Deployments × 100 replicas, with the ReplicaSet controller and a kubelet stand-in that makes
// every pod Ready: each Deployment gets one ReplicaSet and reports 100 available, complete. The hot
// path of the 10,000-pod benchmark; the time is printed, not asserted (benchmarks report numbers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, PODS, REPLICA_SETS, isConflict, isNotFound, type Deployment, type Pod, type ReplicaSet } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import replicaSetController from '../replicaset-controller/plugin.ts';
import controller from './plugin.ts';
import { NS, deployment, eventually } from './testing.ts';

const DEPLOYS = 100;
const REPLICAS = 100;

/** Marks pods Ready as they appear, a few writes at a time (a node's kubelets, roughly). */
function readyEveryPod(k: Kernel): { stop(): void } {
  const w = k.watch(PODS, { namespace: NS });
  const pending: string[] = [];
  let active = 0;
  const pump = () => {
    while (active < 16 && pending.length) {
      const name = pending.shift()!;
      active++;
      void (async () => {
        try {
          const pod = (await k.get(PODS, NS, name)) as Pod;
          const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
          await k.update(PODS, { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, { subresource: 'status' });
        } catch (e) {
          if (isConflict(e)) pending.push(name);
          else if (!isNotFound(e)) throw e;
        } finally {
          active--;
          pump();
        }
      })().catch(() => undefined);
    }
  };
  void (async () => {
    for await (const ev of w) {
      if (ev.type !== 'ADDED') continue;
      pending.push(ev.object.metadata.name!);
      pump();
    }
  })().catch(() => undefined);
  return { stop: () => w.stop() };
}

let env: ControllerTestEnv;
let kubelet: { stop(): void };
beforeAll(async () => {
  env = await startControllers([{ descriptor: controller }, { descriptor: replicaSetController }]);
  kubelet = readyEveryPod(env.t.kernel);
});
afterAll(async () => {
  kubelet?.stop();
  await env?.stop();
});

describe(`deployment-controller: ${DEPLOYS} Deployments × ${REPLICAS} replicas`, () => {
  it('rolls every one out to 100 available pods, one ReplicaSet each', { timeout: 300_000 }, async () => {
    const k = env.t.kernel;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: DEPLOYS }, (_, i) => k.create(DEPLOYMENTS, deployment(`scale-${i}`, { replicas: REPLICAS }))));
    const created = performance.now();
    let firstAllCreated = 0;
    await eventually(
      async () => {
        const list = (await k.list(DEPLOYMENTS, { namespace: NS })).items as Deployment[];
        const mine = list.filter((d) => d.metadata.name!.startsWith('scale-'));
        if (!firstAllCreated && mine.every((d) => d.status?.replicas === REPLICAS)) firstAllCreated = performance.now();
        return mine.filter((d) => d.status?.availableReplicas === REPLICAS && d.status.updatedReplicas === REPLICAS && d.status.conditions?.some((c) => c.reason === 'NewReplicaSetAvailable')).length === DEPLOYS;
      },
      280_000,
      'every deployment complete',
      250,
    );
    const done = performance.now();
    const rss = ((await k.list(REPLICA_SETS, { namespace: NS })).items as ReplicaSet[]).filter((r) => r.metadata.name!.startsWith('scale-'));
    expect(rss.length).toBe(DEPLOYS);
    expect(rss.every((r) => r.spec?.replicas === REPLICAS && r.status?.availableReplicas === REPLICAS)).toBe(true);
    console.log(
      `[deployment scale-100] ${DEPLOYS}×${REPLICAS}: Deployments created in ${Math.round(created - t0)} ms; ` +
        `all pods counted after ${Math.round((firstAllCreated || done) - t0)} ms; all ${DEPLOYS * REPLICAS} available and complete after ${Math.round(done - t0)} ms`,
    );
    expect(env.warnings.filter((l) => !/conflict/i.test(l))).toEqual([]);
  });
});
