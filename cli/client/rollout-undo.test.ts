import { describe, expect, it } from 'vitest';
import { deploymentRollbackPatch, findHistory, planDeploymentUndo, planHistoryUndo, replicaSetForRevision } from './rollout-undo.ts';

const tpl = (image: string, hash?: string) => ({ metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } }, spec: { containers: [{ name: 'c', image }] } });
const rs = (name: string, revision: string, image: string, annotations: Record<string, string> = {}) => ({
  metadata: { name, annotations: { 'deployment.kubernetes.io/revision': revision, ...annotations } },
  spec: { template: tpl(image, name) },
});
const deployment = (image: string, extra: object = {}) => ({
  metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '3', 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}', team: 'blue' } },
  spec: { template: tpl(image), ...extra },
});
const all = [rs('r1', '1', 'nginx:1', { 'kubernetes.io/change-cause': 'first', 'deployment.kubernetes.io/desired-replicas': '3', owner: 'old' }), rs('r3', '3', 'nginx:3'), rs('r2', '2', 'nginx:2')];

describe('which ReplicaSet a Deployment rolls back to', () => {
  it('by default the second-highest revision, whatever the list order', () => {
    expect(replicaSetForRevision(deployment('nginx:3'), all, 0).metadata.name).toBe('r2');
    expect(replicaSetForRevision(deployment('nginx:3'), [all[1]!, all[2]!, all[0]!], 0).metadata.name).toBe('r2');
  });
  it('--to-revision picks that one, or fails', () => {
    expect(replicaSetForRevision(deployment('nginx:3'), all, 1).metadata.name).toBe('r1');
    expect(() => replicaSetForRevision(deployment('nginx:3'), all, 9)).toThrow('unable to find specified revision 9 in history');
  });
  it('a single revision has nothing to go back to', () => {
    expect(() => replicaSetForRevision(deployment('nginx:3'), [all[1]!], 0)).toThrow('no rollout history found for deployment "web"');
  });
});

describe('planDeploymentUndo', () => {
  it('JSON-patches the template (without the hash label) and the annotations, keeping the Deployment’s own', () => {
    const plan = planDeploymentUndo(deployment('nginx:3'), all, 1, 'none');
    expect(plan).toEqual({
      action: 'patch',
      patchType: 'json',
      body: [
        { op: 'replace', path: '/spec/template', value: tpl('nginx:1') },
        {
          op: 'replace',
          path: '/metadata/annotations',
          // revision and last-applied from the Deployment; change-cause and owner from the ReplicaSet;
          // team (only on the Deployment) is dropped; desired-replicas is never copied
          value: { 'deployment.kubernetes.io/revision': '3', 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}', 'kubernetes.io/change-cause': 'first', owner: 'old' },
        },
      ],
    });
    expect(all[0]!.spec.template.metadata.labels['pod-template-hash']).toBe('r1'); // the input is not changed
  });

  it('skips a rollback to the template it already has', () => {
    expect(planDeploymentUndo(deployment('nginx:2'), all, 0, 'none')).toEqual({ action: 'print', text: 'skipped rollback (current template already matches revision 0)' });
    expect(planDeploymentUndo(deployment('nginx:1'), all, 1, 'none')).toEqual({ action: 'print', text: 'skipped rollback (current template already matches revision 1)' });
  });

  it('refuses a paused Deployment; a client dry run prints the template instead', () => {
    expect(() => planDeploymentUndo(deployment('nginx:3', { paused: true }), all, 0, 'none')).toThrow(
      "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
    );
    const dry = planDeploymentUndo(deployment('nginx:3', { paused: true }), all, 0, 'client');
    expect(dry.action === 'print' && dry.text).toMatch(/^Pod Template:\n  Labels:\tapp=web\n\tpod-template-hash=r2\n/);
    expect(() => planDeploymentUndo(deployment('nginx:3'), all, -1, 'none')).toThrow('unable to find specified revision -1 in history');
  });

  it('a Deployment without annotations gets only the ReplicaSet’s', () => {
    const d = { metadata: { name: 'web' }, spec: { template: tpl('nginx:3') } };
    expect(deploymentRollbackPatch(d, all[1]!)[1]).toEqual({ op: 'replace', path: '/metadata/annotations', value: {} });
  });
});

describe('DaemonSet and StatefulSet undo', () => {
  const owner = { metadata: { name: 'agent' }, spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'agent:3' }] } } } };
  const cr = (revision: number, image: string) => ({ revision, data: { spec: { template: { $patch: 'replace', metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image }] } } } } });
  const crs = [cr(3, 'agent:3'), cr(1, 'agent:1'), cr(2, 'agent:2')];

  it('findHistory: the second-highest revision by default, else the one asked for', () => {
    expect(findHistory(0, crs)?.revision).toBe(2);
    expect(findHistory(1, crs)?.revision).toBe(1);
    expect(findHistory(5, crs)).toBeUndefined();
    expect(findHistory(0, [crs[0]!])).toBeUndefined();
  });

  it('strategic-merge-patches the revision’s data; skips the current one; errors as kubectl', () => {
    expect(planHistoryUndo(owner, crs, 0, 'none')).toEqual({ action: 'patch', patchType: 'strategic', body: crs[2]!.data });
    expect(planHistoryUndo(owner, crs, 3, 'none')).toEqual({ action: 'print', text: 'skipped rollback (current template already matches revision 3)' });
    expect(() => planHistoryUndo(owner, [crs[0]!], 0, 'none')).toThrow('no last revision to roll back to');
    expect(() => planHistoryUndo(owner, crs, 7, 'none')).toThrow('unable to find specified revision 7 in history');
    const dry = planHistoryUndo(owner, crs, 1, 'client');
    expect(dry.action === 'print' && dry.text).toMatch(/^will roll back to Pod Template:\n[\s\S]*Image:\tagent:1\n/);
  });
});
