// A restart of the controllers mid-rollout, with the real ReplicaSet controller and a kubelet
// stand-in: the rollout finishes with exactly the desired pods, all of the new ReplicaSet, none
// duplicated or orphaned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, PODS, getControllerOf, type Pod } from '@skiff/api';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import replicaSetController from '../replicaset-controller/plugin.ts';
import controller from './plugin.ts';
import { NS, deployment, eventually, getDeployment, replicaSetsOf, setImage, sizes, tinyKubelet } from './testing.ts';

let env: ControllerTestEnv;
let kubelet: { stop(): void };
beforeAll(async () => {
  env = await startControllers([{ descriptor: controller }, { descriptor: replicaSetController }]);
  kubelet = tinyKubelet(env.t.kernel, 40);
});
afterAll(async () => {
  kubelet?.stop();
  await env?.stop();
});

describe('a restart mid-rollout, with the ReplicaSet controller', () => {
  it('ends with exactly the desired pods, all of the new RS', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('rp', { replicas: 20, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } }));
    await eventually(async () => (await getDeployment(k, 'rp')).status?.availableReplicas === 20, 20_000);
    await setImage(k, 'rp', 'nginx:2');
    await eventually(async () => {
      const s = await sizes(k, 'rp');
      return s[2] > 0 && s[1] < 20 && s[1] > 0;
    }, 10_000, 'mid-rollout');
    await env.host.stopAll();

    const host = new PluginHost({ kernel: k, logger: createConsoleLogger({ level: 'silent' }) });
    await host.load([
      { descriptor: controller, config: { leaderElection: false } },
      { descriptor: replicaSetController, config: { leaderElection: false } },
    ]);
    try {
      await eventually(async () => {
        const d = await getDeployment(k, 'rp');
        return d.status?.updatedReplicas === 20 && d.status.replicas === 20 && d.status.availableReplicas === 20;
      }, 20_000, 'rollout finished after the restart');
      const [old, cur] = await replicaSetsOf(k, 'rp');
      const pods = ((await k.list(PODS, { namespace: NS, labelSelector: 'app=rp' })).items as Pod[]).filter((p) => !p.metadata.deletionTimestamp);
      expect(pods.length).toBe(20);
      expect(pods.every((p) => getControllerOf(p)?.uid === cur.metadata.uid)).toBe(true);
      expect(pods.every((p) => p.metadata.labels?.['pod-template-hash'] === cur.metadata.labels?.['pod-template-hash'])).toBe(true);
      expect(old.spec?.replicas).toBe(0);
      expect((await replicaSetsOf(k, 'rp')).length).toBe(2);
    } finally {
      await host.stopAll();
    }
  });
});
