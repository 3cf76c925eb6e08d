import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import { deployment, eventually, fakeReplicaSetController, getDeployment, replicaSetsOf, setImage, startDeploymentController, type FakeRSController } from './testing.ts';

let env: ControllerTestEnv;
let rsc: FakeRSController;
beforeAll(async () => {
  env = await startDeploymentController();
  rsc = fakeReplicaSetController(env.t.kernel, { readyAfterMs: 5 });
});
afterAll(async () => {
  rsc?.stop();
  await env?.stop();
});

const revisions = async (name: string) => (await replicaSetsOf(env.t.kernel, name)).map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision']));
const completeAt = (name: string, revision: number) =>
  eventually(async () => {
    const d = await getDeployment(env.t.kernel, name);
    return d.metadata.annotations?.['deployment.kubernetes.io/revision'] === String(revision) && d.status?.updatedReplicas === 1 && d.status.replicas === 1 && d.status.availableReplicas === 1;
  }, 10_000, `${name} at revision ${revision}`);

async function rollouts(name: string, n: number, limit?: number): Promise<void> {
  await env.t.kernel.create(DEPLOYMENTS, deployment(name, { replicas: 1, ...(limit === undefined ? {} : { revisionHistoryLimit: limit }) }));
  await completeAt(name, 1);
  for (let i = 2; i <= n; i++) {
    await setImage(env.t.kernel, name, `nginx:${i}`);
    await completeAt(name, i);
  }
}

describe('revisionHistoryLimit', () => {
  it('keeps the newest old RSs up to the limit and deletes the lowest revisions', async () => {
    await rollouts('hist', 6, 2);
    await eventually(async () => (await revisions('hist')).length === 3, 5000, 'old RSs cleaned up');
    expect(await revisions('hist')).toEqual([4, 5, 6]);
  });

  it('keeps 10 by default', async () => {
    expect((await env.t.kernel.create(DEPLOYMENTS, deployment('dflt-probe'), { dryRun: true })).spec).toMatchObject({ revisionHistoryLimit: 10 });
    await rollouts('dflt', 12);
    await eventually(async () => (await revisions('dflt')).length === 11, 5000, 'old RSs cleaned up');
    expect(await revisions('dflt')).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('keeps none with 0', async () => {
    await rollouts('none', 3, 0);
    await eventually(async () => (await revisions('none')).length === 1, 5000, 'old RSs cleaned up');
    expect(await revisions('none')).toEqual([3]);
  });
});
