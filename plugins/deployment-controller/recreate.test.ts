import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, PODS, type Pod } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import {
  NS, deployment, eventMessages, eventually, fakeReplicaSetController, getDeployment, replicaSetsOf, setImage, sleep, startDeploymentController, type FakeRSController,
} from './testing.ts';

let env: ControllerTestEnv;
let rsc: FakeRSController;
beforeAll(async () => {
  env = await startDeploymentController();
  rsc = fakeReplicaSetController(env.t.kernel, { readyAfterMs: 20 });
});
afterAll(async () => {
  rsc?.stop();
  await env?.stop();
});

describe('Recreate', () => {
  it('scales the old RS to 0, waits until its pods are gone, then creates the new one at full size', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('rec', { replicas: 2, strategy: { type: 'Recreate' } }));
    await eventually(async () => (await getDeployment(k, 'rec')).status?.availableReplicas === 2);
    const [v1] = await replicaSetsOf(k, 'rec');
    // pods of the old RS, as its controller would have made them: one running, one finished
    const pod = (name: string): Pod => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: NS, labels: v1.spec!.template!.metadata!.labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: v1.metadata.name!, uid: v1.metadata.uid!, controller: true }] },
      spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
    });
    await k.create(PODS, pod('rec-running'));
    const done = await k.create(PODS, pod('rec-done'));
    await k.update(PODS, { ...done, status: { phase: 'Succeeded' } }, { subresource: 'status' });

    await setImage(k, 'rec', 'nginx:2');
    await eventually(async () => (await replicaSetsOf(k, 'rec'))[0].spec?.replicas === 0, 5000, 'old RS scaled to 0');
    await eventually(async () => (await replicaSetsOf(k, 'rec'))[0].status?.replicas === 0);
    await sleep(300);
    // a pod of the old RS still runs: no new RS yet
    expect((await replicaSetsOf(k, 'rec')).length).toBe(1);
    const waiting = await getDeployment(k, 'rec');
    expect(waiting.status?.updatedReplicas).toBeUndefined();

    await k.delete(PODS, NS, 'rec-running');
    const [, v2] = await eventually(async () => {
      const l = await replicaSetsOf(k, 'rec');
      return l.length === 2 ? l : undefined;
    }, 5000, 'the new RS');
    expect(v2.spec?.replicas).toBe(2);
    expect(v2.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const d = await eventually(async () => {
      const d = await getDeployment(k, 'rec');
      return d.status?.updatedReplicas === 2 && d.status.availableReplicas === 2 ? d : undefined;
    });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(await eventually(async () => {
      const l = await eventMessages(k, 'rec', 'ScalingReplicaSet');
      return l.length === 3 ? l : undefined;
    })).toEqual([
      `Scaled up replica set ${v1.metadata.name} from 0 to 2`,
      `Scaled down replica set ${v1.metadata.name} from 2 to 0`,
      `Scaled up replica set ${v2.metadata.name} from 0 to 2`,
    ]);
    // max-replicas has no surge under Recreate
    expect(v2.metadata.annotations?.['deployment.kubernetes.io/max-replicas']).toBe('2');
  });

  it('writes no warnings', () => {
    expect(env.warnings.filter((l) => !/conflict/i.test(l))).toEqual([]);
  });
});
