import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, type Deployment } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import {
  NS, deployment, eventually, fakeReplicaSetController, getDeployment, replicaSetsOf, scaleDeployment, setImage, sizes, sleep, startDeploymentController, type FakeRSController,
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

const progressing = async (name: string) => (await getDeployment(env.t.kernel, name)).status?.conditions?.find((c) => c.type === 'Progressing');

describe('paused', () => {
  it('rolls nothing out while paused, but scales; resuming rolls out', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('pz', { replicas: 2 }));
    await eventually(async () => (await getDeployment(k, 'pz')).status?.availableReplicas === 2);
    await k.patch(DEPLOYMENTS, NS, 'pz', 'merge', { spec: { paused: true } });
    await eventually(async () => (await progressing('pz'))?.reason === 'DeploymentPaused');
    expect(await progressing('pz')).toMatchObject({ status: 'Unknown', message: 'Deployment is paused' });

    const changed = await setImage(k, 'pz', 'nginx:2');
    await eventually(async () => (await getDeployment(k, 'pz')).status?.observedGeneration === changed.metadata.generation);
    await sleep(200);
    expect((await replicaSetsOf(k, 'pz')).length).toBe(1);
    // the old RS is no longer the deployment's template: updatedReplicas 0
    expect((await getDeployment(k, 'pz')).status?.updatedReplicas).toBeUndefined();

    await scaleDeployment(k, 'pz', 4);
    await eventually(async () => JSON.stringify(await sizes(k, 'pz')) === JSON.stringify({ 1: 4 }), 5000, 'scaled while paused');
    const [rs] = await replicaSetsOf(k, 'pz');
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe('4');

    await k.patch(DEPLOYMENTS, NS, 'pz', 'merge', { spec: { paused: false } });
    await eventually(async () => (await replicaSetsOf(k, 'pz')).length === 2, 5000, 'rollout after resume');
    const d = await eventually(async () => {
      const d = await getDeployment(k, 'pz');
      return d.status?.updatedReplicas === 4 && d.status.replicas === 4 && d.status.availableReplicas === 4 ? d : undefined;
    }, 10_000);
    // resumed first, then the rollout's own reasons
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    expect(await sizes(k, 'pz')).toEqual({ 1: 0, 2: 4 });
  });

  it('says DeploymentResumed when resumed with nothing to roll out', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('pr', { replicas: 1, paused: true }));
    await eventually(async () => (await progressing('pr'))?.reason === 'DeploymentPaused');
    // paused from the start: no RS is created
    expect((await replicaSetsOf(k, 'pr')).length).toBe(0);
    // every Progressing reason the deployment goes through
    const reasons: string[] = [];
    const w = k.watch(DEPLOYMENTS, { namespace: NS, fieldSelector: 'metadata.name=pr' });
    void (async () => {
      for await (const ev of w) {
        const r = (ev.object as Deployment).status?.conditions?.find((c) => c.type === 'Progressing')?.reason;
        if (r && reasons.at(-1) !== r) reasons.push(r);
      }
    })();
    await k.patch(DEPLOYMENTS, NS, 'pr', 'merge', { spec: { paused: false } });
    await eventually(async () => (await replicaSetsOf(k, 'pr')).length === 1, 5000);
    await eventually(async () => (await progressing('pr'))?.reason === 'NewReplicaSetAvailable', 5000);
    await eventually(() => reasons.at(-1) === 'NewReplicaSetAvailable');
    w.stop();
    const after = reasons.slice(reasons.indexOf('DeploymentResumed'));
    expect(after.slice(0, 2)).toEqual(['DeploymentResumed', 'NewReplicaSetCreated']);
    // ReplicaSetUpdated in between when the pods' progress was seen before their availability
    expect(after.slice(2).filter((r) => r !== 'ReplicaSetUpdated')).toEqual(['NewReplicaSetAvailable']);
  });
});
