import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, REPLICA_SETS, type ReplicaSet } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import { computeHash } from '@skiff/client';
import { NS, deployment, eventMessages, eventually, getDeployment, replicaSetsOf, setRSStatus, startDeploymentController } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startDeploymentController();
});
afterAll(() => env?.stop());

describe('a new Deployment', () => {
  it('gets a ReplicaSet named by its template hash, with revision and replica annotations', async () => {
    const k = env.t.kernel;
    const created = await k.create(DEPLOYMENTS, deployment('web', { replicas: 3 }, { 'kubernetes.io/change-cause': 'first', team: 'a' }));
    const [rs] = await eventually(async () => {
      const l = await replicaSetsOf(k, 'web');
      return l.length ? l : undefined;
    });
    const hash = computeHash((created.spec as { template: never }).template);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec?.selector).toEqual({ matchLabels: { app: 'web', 'pod-template-hash': hash } });
    expect(rs.spec?.template?.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec?.replicas).toBe(3);
    expect(rs.metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4', // 3 + 25% surge rounded up
      'kubernetes.io/change-cause': 'first',
      team: 'a',
    });
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);

    const d = await eventually(async () => {
      const d = await getDeployment(k, 'web');
      return d.status?.observedGeneration === 1 && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1' ? d : undefined;
    });
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "web-${hash}"` });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
    expect(await eventMessages(k, 'web', 'ScalingReplicaSet')).toEqual([`Scaled up replica set web-${hash} from 0 to 3`]);
  });

  it('reports the RS status and NewReplicaSetAvailable once every replica is available', async () => {
    const k = env.t.kernel;
    const [rs] = await replicaSetsOf(k, 'web');
    await setRSStatus(k, rs.metadata.name!, { replicas: 3, ready: 2, available: 1 });
    let d = await eventually(async () => {
      const d = await getDeployment(k, 'web');
      return d.status?.readyReplicas === 2 ? d : undefined;
    });
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 1, unavailableReplicas: 2 });
    // maxUnavailable 25% of 3 rounds down to 0: all 3 must be available
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('False');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs.metadata.name}" is progressing.` });
    await setRSStatus(k, rs.metadata.name!, { replicas: 3, available: 3 });
    d = await eventually(async () => {
      const d = await getDeployment(k, 'web');
      return d.status?.availableReplicas === 3 ? d : undefined;
    });
    expect(d.status?.unavailableReplicas).toBeUndefined(); // 0 is omitted, as Go's omitempty
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.` });
  });

  it('copies minReadySeconds to its RS and counts a ReplicaFailure of it', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('slow', { replicas: 2, minReadySeconds: 5 }));
    const [rs] = await eventually(async () => {
      const l = await replicaSetsOf(k, 'slow');
      return l.length ? l : undefined;
    });
    expect(rs.spec?.minReadySeconds).toBe(5);
    const cur = (await k.get(REPLICA_SETS, NS, rs.metadata.name!)) as ReplicaSet;
    const failure = { type: 'ReplicaFailure', status: 'True' as const, reason: 'FailedCreate', message: 'pods "x" is forbidden: exceeded quota', lastTransitionTime: '2024-01-01T00:00:00Z' };
    await k.update(REPLICA_SETS, { ...cur, status: { replicas: 0, conditions: [failure] } }, { subresource: 'status' });
    const d = await eventually(async () => {
      const d = await getDeployment(k, 'slow');
      return d.status?.conditions?.some((c) => c.type === 'ReplicaFailure') ? d : undefined;
    });
    expect(d.status?.conditions?.find((c) => c.type === 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate', message: failure.message, lastUpdateTime: failure.lastTransitionTime });
  });

  it('adopts an orphan RS it selects, and releases one it no longer selects', async () => {
    const k = env.t.kernel;
    const template = deployment('adopt').spec!.template;
    const orphanName = `adopt-${computeHash(template)}`;
    await k.create(REPLICA_SETS, {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: orphanName, namespace: NS, labels: { app: 'adopt' }, annotations: { 'deployment.kubernetes.io/revision': '4' } },
      spec: { replicas: 3, selector: { matchLabels: { app: 'adopt' } }, template },
    });
    const d = await k.create(DEPLOYMENTS, deployment('adopt'));
    const rs = await eventually(async () => {
      const rs = (await k.get(REPLICA_SETS, NS, orphanName)) as ReplicaSet;
      return rs.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid && r.controller) ? rs : undefined;
    });
    // the adopted RS has the deployment's template: it is the new RS, no other is made
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
    const adopter = await eventually(async () => {
      const x = await getDeployment(k, 'adopt');
      return x.metadata.annotations?.['deployment.kubernetes.io/revision'] === '4' && x.status?.conditions ? x : undefined;
    });
    // it found its new RS rather than creating it
    expect(adopter.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${orphanName}"` });
    expect((await replicaSetsOf(k, 'adopt')).map((x) => x.metadata.name)).toEqual([orphanName]);
    // relabelled out of the selector: released (its controller reference removed)
    await k.patch(REPLICA_SETS, NS, orphanName, 'merge', { metadata: { labels: { app: 'other' } } });
    await eventually(async () => !((await k.get(REPLICA_SETS, NS, orphanName)) as ReplicaSet).metadata.ownerReferences?.length);
  });

  it('bumps status.collisionCount when its RS name is taken by another template', async () => {
    const k = env.t.kernel;
    // the template as stored (defaulted), which is what the controller hashes
    const dry = await k.create(DEPLOYMENTS, deployment('clash'), { dryRun: true });
    const taken = `clash-${computeHash((dry.spec as { template: never }).template)}`;
    // same name, another template, and not selected by the deployment
    await k.create(REPLICA_SETS, {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: taken, namespace: NS, labels: { app: 'elsewhere' } },
      spec: { replicas: 0, selector: { matchLabels: { app: 'elsewhere' } }, template: { metadata: { labels: { app: 'elsewhere' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    await k.create(DEPLOYMENTS, deployment('clash'));
    const [rs] = await eventually(async () => {
      const l = await replicaSetsOf(k, 'clash');
      return l.length ? l : undefined;
    });
    const d = await getDeployment(k, 'clash');
    expect(d.status?.collisionCount).toBe(1);
    expect(rs.metadata.name).toBe(`clash-${computeHash(d.spec!.template, 1)}`);
    expect(rs.metadata.name).not.toBe(taken);
  });

  it('writes no warnings', () => {
    expect(env.warnings.filter((l) => !/conflict/i.test(l))).toEqual([]);
  });
});
