import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS } from '@skiff/api';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import type { ControllerTestEnv } from '../../client/testing.ts';
import controller from './plugin.ts';
import { deployment, eventually, fakeReplicaSetController, getDeployment, replicaSetsOf, setImage, sizes, sleep, startDeploymentController, type FakeRSController } from './testing.ts';

let env: ControllerTestEnv;
let rsc: FakeRSController;
beforeAll(async () => {
  env = await startDeploymentController();
  rsc = fakeReplicaSetController(env.t.kernel, { readyAfterMs: 150 });
});
afterAll(async () => {
  rsc?.stop();
  await env?.stop();
});

const strategy = { type: 'RollingUpdate' as const, rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };

async function newHost(): Promise<PluginHost> {
  const host = new PluginHost({ kernel: env.t.kernel, logger: createConsoleLogger({ level: 'silent' }) });
  await host.load([{ descriptor: controller, config: { leaderElection: false } }]);
  return host;
}

describe('a restart of the controller', () => {
  it('finishes a rollout it did not start, with no duplicate ReplicaSet', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('mid', { replicas: 10, strategy }));
    await eventually(async () => (await getDeployment(k, 'mid')).status?.availableReplicas === 10, 10_000);
    await setImage(k, 'mid', 'nginx:2');
    // mid-rollout: the new RS exists and the old one has started to shrink
    await eventually(async () => {
      const s = await sizes(k, 'mid');
      return s[2] > 0 && s[1] < 10 && s[1] > 0;
    }, 10_000, 'mid-rollout');
    await env.host.stopAll();
    const frozen = await sizes(k, 'mid');
    await sleep(400);
    expect(await sizes(k, 'mid')).toEqual(frozen); // nobody acts while no controller runs
    rsc.samples.length = 0;

    const host = await newHost();
    try {
      const d = await eventually(async () => {
        const d = await getDeployment(k, 'mid');
        return d.status?.updatedReplicas === 10 && d.status.replicas === 10 && d.status.availableReplicas === 10 ? d : undefined;
      }, 15_000, 'rollout finished by the new controller');
      expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
      expect(await sizes(k, 'mid')).toEqual({ 1: 0, 2: 10 });
      const samples = rsc.of('mid');
      expect(Math.max(...samples.map((s) => s.pods))).toBeLessThanOrEqual(13);
      expect(Math.min(...samples.map((s) => s.available))).toBeGreaterThanOrEqual(8);
    } finally {
      await host.stopAll();
    }
  });

  it('creates the new RS once when the template changed while it was down', async () => {
    const k = env.t.kernel;
    const host = await newHost();
    await k.create(DEPLOYMENTS, deployment('down', { replicas: 2 }));
    await eventually(async () => (await getDeployment(k, 'down')).status?.availableReplicas === 2, 10_000);
    await host.stopAll();
    await setImage(k, 'down', 'nginx:2');
    // two controllers in a row, each stopped soon after it starts, then one that stays
    for (let i = 0; i < 2; i++) {
      const h = await newHost();
      await sleep(30);
      await h.stopAll();
    }
    const last = await newHost();
    try {
      await eventually(async () => {
        const d = await getDeployment(k, 'down');
        return d.status?.updatedReplicas === 2 && d.status.replicas === 2 && d.status.availableReplicas === 2;
      }, 10_000);
      const l = await replicaSetsOf(k, 'down');
      expect(l.length).toBe(2);
      expect(l.map((rs) => rs.spec?.replicas)).toEqual([0, 2]);
    } finally {
      await last.stopAll();
    }
  });
});
