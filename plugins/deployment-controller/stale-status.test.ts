// A ReplicaSet's status lags its spec until the ReplicaSet controller has deleted the pods of a
// scale-down. kube's controller reads spec and status as they are, which lets it add new pods
// before the old ones are gone (more than replicas + maxSurge) and count old pods about to be
// deleted as available. This one bounds both: an RS has max(spec, status.replicas) pods and
// min(spec, status.availableReplicas) lasting available ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import { deployment, eventually, getDeployment, replicaSetsOf, setImage, setRSStatus, sizes, sleep, startDeploymentController } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startDeploymentController();
});
afterAll(() => env?.stop());

const sizesAre = (want: Record<string, number>) =>
  eventually(async () => JSON.stringify(await sizes(env.t.kernel, 'lag')) === JSON.stringify(want), 5000, `sizes ${JSON.stringify(want)}`);

describe('a ReplicaSet status behind its spec', () => {
  it('neither grows the new RS over old pods still there nor counts them as available', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('lag', { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    const [v1] = await eventually(async () => {
      const l = await replicaSetsOf(k, 'lag');
      return l.length ? l : undefined;
    });
    await setRSStatus(k, v1.metadata.name!, { replicas: 10, available: 10 });
    await eventually(async () => (await getDeployment(k, 'lag')).status?.availableReplicas === 10);

    await setImage(k, 'lag', 'nginx:2');
    // new 3 (13 pods), old 10 -> 8; the old RS still has its 10 pods: no room for more new ones
    await sizesAre({ 1: 8, 2: 3 });
    await sleep(300);
    expect(await sizes(k, 'lag')).toEqual({ 1: 8, 2: 3 });

    // the 3 new pods are available; old status still says 10 available of 8: only 8 of them last,
    // so 3 may go (11 - 8), not 5 (13 - 8)
    const [, v2] = await replicaSetsOf(k, 'lag');
    await setRSStatus(k, v2.metadata.name!, { replicas: 3, available: 3 });
    await sizesAre({ 1: 5, 2: 3 });
    await sleep(300);
    expect(await sizes(k, 'lag')).toEqual({ 1: 5, 2: 3 });

    // the old pods are gone: the new RS grows to 13 pods in all, and so on to the end
    await setRSStatus(k, v1.metadata.name!, { replicas: 5, available: 5 });
    await sizesAre({ 1: 5, 2: 8 });
    for (let i = 0; i < 20; i++) {
      const [a, b] = await replicaSetsOf(k, 'lag');
      await setRSStatus(k, a.metadata.name!, {});
      await setRSStatus(k, b.metadata.name!, {});
      const s = await sizes(k, 'lag');
      if (s[1] === 0 && s[2] === 10) break;
      await sleep(50);
    }
    await sizesAre({ 1: 0, 2: 10 });
  });
});
