import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import {
  deployment, eventMessages, eventually, fakeReplicaSetController, getDeployment, replicaSetsOf, setImage, sizes, sleep, startDeploymentController, type FakeRSController,
} from './testing.ts';

let env: ControllerTestEnv;
let rsc: FakeRSController;
beforeAll(async () => {
  env = await startDeploymentController();
  rsc = fakeReplicaSetController(env.t.kernel, { readyAfterMs: 30 });
});
afterAll(async () => {
  rsc?.stop();
  await env?.stop();
});

const complete = (name: string, replicas: number) =>
  eventually(async () => {
    const d = await getDeployment(env.t.kernel, name);
    const s = d.status;
    const ok = s?.observedGeneration === d.metadata.generation && s?.updatedReplicas === replicas && s?.replicas === replicas && s?.availableReplicas === replicas;
    return ok && d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable' ? d : undefined;
  }, 20_000, `${name} complete`);

describe('RollingUpdate', () => {
  it('replaces the pods within maxSurge and maxUnavailable at every step', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('roll', { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    await complete('roll', 10);
    const [v1] = await replicaSetsOf(k, 'roll');
    rsc.samples.length = 0;
    await setImage(k, 'roll', 'nginx:2');
    const d = await complete('roll', 10);
    const [old, cur] = await replicaSetsOf(k, 'roll');
    expect(old.metadata.name).toBe(v1.metadata.name);
    expect(old.spec?.replicas).toBe(0);
    expect(cur.spec?.replicas).toBe(10);
    expect(cur.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    // never more than 13 pods, never fewer than 8 available
    const samples = rsc.of('roll');
    expect(samples.length).toBeGreaterThan(5);
    expect(Math.max(...samples.map((s) => s.pods))).toBe(13);
    expect(Math.min(...samples.map((s) => s.available))).toBeGreaterThanOrEqual(8);
    const msgs = await eventMessages(k, 'roll', 'ScalingReplicaSet');
    const rollout = msgs.slice(msgs.indexOf(`Scaled up replica set ${cur.metadata.name} from 0 to 3`));
    expect(rollout[0]).toBe(`Scaled up replica set ${cur.metadata.name} from 0 to 3`);
    expect(rollout[1]).toBe(`Scaled down replica set ${old.metadata.name} from 10 to 8`);
    expect(rollout.at(-1)).toMatch(new RegExp(`^Scaled (down replica set ${old.metadata.name} from \\d+ to 0|up replica set ${cur.metadata.name} from \\d+ to 10)$`));
    for (const m of rollout) expect(m).toMatch(new RegExp(`^Scaled (up replica set ${cur.metadata.name}|down replica set ${old.metadata.name}) from \\d+ to \\d+$`));
  });

  it('stops at old 8 / new 5 while the new pods never become available, then times out', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('stuck', { replicas: 10, progressDeadlineSeconds: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    await complete('stuck', 10);
    rsc.stuckImages.add('nginx:bad');
    await setImage(k, 'stuck', 'nginx:bad');
    await eventually(async () => JSON.stringify(await sizes(k, 'stuck')) === JSON.stringify({ 1: 8, 2: 5 }), 10_000, 'old 8 / new 5');
    const d = await eventually(async () => {
      const d = await getDeployment(k, 'stuck');
      return d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'ProgressDeadlineExceeded' ? d : undefined;
    }, 10_000, 'ProgressDeadlineExceeded');
    const [, cur] = await replicaSetsOf(k, 'stuck');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', message: `ReplicaSet "${cur.metadata.name}" has timed out progressing.` });
    // still available: 8 old pods are the minimum
    expect(d.status).toMatchObject({ replicas: 13, updatedReplicas: 5, availableReplicas: 8, unavailableReplicas: 5 });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    expect(await sizes(k, 'stuck')).toEqual({ 1: 8, 2: 5 });
    // a fixed image rolls out again and completes
    await setImage(k, 'stuck', 'nginx:3');
    await complete('stuck', 10);
    expect(await sizes(k, 'stuck')).toEqual({ 1: 0, 2: 0, 3: 10 });
  });

  it('replaces with surge only (maxUnavailable 0) and with unavailability only (maxSurge 0)', async () => {
    const k = env.t.kernel;
    for (const [name, surge, unavailable] of [['surge-only', 1, 0], ['unavail-only', 0, 1]] as const) {
      await k.create(DEPLOYMENTS, deployment(name, { replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } }));
      await complete(name, 4);
      rsc.samples.length = 0;
      await setImage(k, name, 'nginx:2');
      await complete(name, 4);
      const samples = rsc.of(name);
      expect(Math.max(...samples.map((s) => s.pods))).toBe(4 + surge);
      expect(Math.min(...samples.map((s) => s.available))).toBe(4 - unavailable);
    }
  });

  it('creates nothing more once complete, and writes no warnings', async () => {
    const k = env.t.kernel;
    const before = (await getDeployment(k, 'roll')).metadata.resourceVersion;
    await sleep(300);
    expect((await getDeployment(k, 'roll')).metadata.resourceVersion).toBe(before);
    expect(env.warnings.filter((l) => !/conflict/i.test(l))).toEqual([]);
  });
});
