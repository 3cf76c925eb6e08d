import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, type ReplicaSet } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import {
  NS, deployment, eventMessages, eventually, fakeReplicaSetController, getDeployment, replicaSetsOf, setImage, startDeploymentController, type FakeRSController,
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

const rev = (rs: ReplicaSet) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'];
const completeAt = (name: string, revision: string) =>
  eventually(async () => {
    const d = await getDeployment(env.t.kernel, name);
    const done = d.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision && d.status?.updatedReplicas === 2 && d.status.replicas === 2 && d.status.availableReplicas === 2;
    return done ? d : undefined;
  }, 10_000, `${name} at revision ${revision}`);

describe('rollback', () => {
  it('brings an old RS back (as kubectl rollout undo patches the template) with a new revision', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('undo', { replicas: 2 }, { 'kubernetes.io/change-cause': 'v1' }));
    await completeAt('undo', '1');
    await k.patch(DEPLOYMENTS, NS, 'undo', 'merge', { metadata: { annotations: { 'kubernetes.io/change-cause': 'v2' } } });
    await setImage(k, 'undo', 'nginx:2');
    await completeAt('undo', '2');
    const [v1, v2] = await replicaSetsOf(k, 'undo');
    expect([rev(v1), rev(v2)]).toEqual(['1', '2']);
    expect(v2.metadata.annotations?.['kubernetes.io/change-cause']).toBe('v2');

    // kubectl rollout undo: the template of revision 1 without its hash label, and the RS's annotations
    const { 'pod-template-hash': _, ...labels } = v1.spec!.template!.metadata!.labels!;
    const d = await getDeployment(k, 'undo');
    const annotations = { 'deployment.kubernetes.io/revision': d.metadata.annotations!['deployment.kubernetes.io/revision'], 'kubernetes.io/change-cause': 'v1' };
    await k.patch(DEPLOYMENTS, NS, 'undo', 'json', [
      { op: 'replace', path: '/spec/template', value: { ...v1.spec!.template, metadata: { ...v1.spec!.template!.metadata, labels } } },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ]);
    await completeAt('undo', '3');
    const l = await replicaSetsOf(k, 'undo');
    expect(l.map((rs) => rs.metadata.name)).toEqual([v2.metadata.name, v1.metadata.name]); // no third RS
    const back = l[1];
    expect(back.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1', 'kubernetes.io/change-cause': 'v1' });
    expect(back.spec?.replicas).toBe(2);
    expect(l[0].spec?.replicas).toBe(0);
  });

  it('rolls back through the deprecated rollback.to annotation, and says when it cannot', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('rbto', { replicas: 2 }));
    await completeAt('rbto', '1');
    // nothing to go back to yet
    await k.patch(DEPLOYMENTS, NS, 'rbto', 'merge', { metadata: { annotations: { 'deprecated.deployment.rollback.to': '0' } } });
    await eventually(async () => !(await getDeployment(k, 'rbto')).metadata.annotations?.['deprecated.deployment.rollback.to']);
    expect(await eventMessages(k, 'rbto', 'DeploymentRollbackRevisionNotFound')).toEqual(['Unable to find last revision.']);
    await setImage(k, 'rbto', 'nginx:2');
    await completeAt('rbto', '2');
    await k.patch(DEPLOYMENTS, NS, 'rbto', 'merge', { metadata: { annotations: { 'deprecated.deployment.rollback.to': '0' } } });
    const d = await completeAt('rbto', '3');
    expect(d.spec?.template.spec?.containers[0].image).toBe('nginx:1');
    expect(d.metadata.annotations?.['deprecated.deployment.rollback.to']).toBeUndefined();
    expect(await eventMessages(k, 'rbto', 'DeploymentRollback')).toEqual(['Rolled back deployment "rbto" to revision 1']);
    expect((await replicaSetsOf(k, 'rbto')).length).toBe(2);
  });

  it('writes no warnings', () => {
    expect(env.warnings.filter((l) => !/conflict/i.test(l))).toEqual([]);
  });
});
