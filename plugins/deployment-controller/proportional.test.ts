import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import {
  deployment, eventMessages, eventsOf, eventually, fakeReplicaSetController, getDeployment, replicaSetsOf, scaleDeployment, setImage, sizes, startDeploymentController, type FakeRSController,
} from './testing.ts';

let env: ControllerTestEnv;
let rsc: FakeRSController;
beforeAll(async () => {
  env = await startDeploymentController();
  rsc = fakeReplicaSetController(env.t.kernel, { readyAfterMs: 10 });
});
afterAll(async () => {
  rsc?.stop();
  await env?.stop();
});

const sizesAre = (name: string, want: Record<string, number>) =>
  eventually(async () => JSON.stringify(await sizes(env.t.kernel, name)) === JSON.stringify(want), 10_000, `${name} sizes ${JSON.stringify(want)}`);

describe('proportional scaling', () => {
  // the example of kube's documentation: 10 replicas, maxSurge 3, maxUnavailable 2, a rollout to an
  // image that never becomes ready, then scaled to 15: 3 more to the old RS, 2 to the new one
  it('spreads a scaling during a rollout over the RSs in proportion', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('prop', { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    await eventually(async () => (await getDeployment(k, 'prop')).status?.availableReplicas === 10);
    rsc.stuckImages.add('nginx:missing');
    await setImage(k, 'prop', 'nginx:missing');
    await sizesAre('prop', { 1: 8, 2: 5 });

    await scaleDeployment(k, 'prop', 15);
    await sizesAre('prop', { 1: 11, 2: 7 });
    const [old, cur] = await replicaSetsOf(k, 'prop');
    for (const rs of [old, cur]) {
      expect(rs.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/desired-replicas': '15', 'deployment.kubernetes.io/max-replicas': '18' });
    }
    const msgs = await eventually(async () => {
      const l = await eventMessages(k, 'prop', 'ScalingReplicaSet');
      return l.at(-1)?.includes('from 5 to 7') ? l : undefined;
    });
    expect(msgs.slice(-2)).toEqual([`Scaled up replica set ${old.metadata.name} from 8 to 11`, `Scaled up replica set ${cur.metadata.name} from 5 to 7`]);

    // and down: 18 -> 8 allowed (5 + 3), the larger (then older) RS first:
    // old round(11 * 8 / 18) = 5 (-6), new round(7 * 8 / 18) = 3 (-4); then the rollout goes on
    // within the new budget (3 may be unavailable, 8 pods): old 5 -> 3, new 3 -> 5
    await scaleDeployment(k, 'prop', 5);
    await sizesAre('prop', { 1: 3, 2: 5 });
    // Events are written asynchronously; a repeated message bumps the count of its first Event
    await eventually(async () => {
      const l = await eventsOf(k, 'prop', 'ScalingReplicaSet');
      return l.find((e) => e.message === `Scaled up replica set ${cur.metadata.name} from 3 to 5`)?.count === 2;
    });
    expect((await eventMessages(k, 'prop', 'ScalingReplicaSet')).slice(msgs.length)).toEqual([
      `Scaled down replica set ${old.metadata.name} from 11 to 5`,
      `Scaled down replica set ${cur.metadata.name} from 7 to 3`,
      `Scaled down replica set ${old.metadata.name} from 5 to 3`,
    ]);

    // a fixed image then rolls out to the new size
    await setImage(k, 'prop', 'nginx:2');
    await eventually(async () => {
      const d = await getDeployment(k, 'prop');
      return d.status?.updatedReplicas === 5 && d.status.replicas === 5 && d.status.availableReplicas === 5;
    }, 10_000);
    expect(await sizes(k, 'prop')).toEqual({ 1: 0, 2: 0, 3: 5 });
  });

  it('scales the only active RS to the whole size', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('solo', { replicas: 2 }));
    await sizesAre('solo', { 1: 2 });
    await scaleDeployment(k, 'solo', 5);
    await sizesAre('solo', { 1: 5 });
    await scaleDeployment(k, 'solo', 0);
    await sizesAre('solo', { 1: 0 });
    // Events are written asynchronously: wait for the last one
    await eventually(async () => (await eventMessages(k, 'solo', 'ScalingReplicaSet')).at(-1)?.includes('from 5 to 0'));
    expect((await eventMessages(k, 'solo', 'ScalingReplicaSet')).slice(-2)).toEqual([
      expect.stringMatching(/^Scaled up replica set solo-\w+ from 2 to 5$/),
      expect.stringMatching(/^Scaled down replica set solo-\w+ from 5 to 0$/),
    ]);
  });
});
