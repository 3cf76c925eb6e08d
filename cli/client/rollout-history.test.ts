import { describe, expect, it } from 'vitest';
import { controllerRevisions, deploymentRevisions, historyOperation, tabbed, viewHistory, workloadKind } from './rollout-history.ts';

const rs = (name: string, revision: string | undefined, image: string, cause?: string) => ({
  metadata: { name, annotations: { ...(revision !== undefined ? { 'deployment.kubernetes.io/revision': revision } : {}), ...(cause ? { 'kubernetes.io/change-cause': cause } : {}) } },
  spec: { template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image }] } } },
});

describe('tabbed', () => {
  it('pads every cell but the last to its column width + 2, as Go’s tabwriter', () => {
    expect(tabbed([['REVISION', 'CHANGE-CAUSE'], ['1', '<none>'], ['10', 'kubectl apply']])).toBe('REVISION  CHANGE-CAUSE\n1         <none>\n10        kubectl apply\n');
  });
});

describe('rollout history of a Deployment', () => {
  const warnings: string[] = [];
  const revisions = deploymentRevisions([rs('b', '2', 'nginx:2', 'kubectl set image deployment/web c=nginx:2'), rs('a', '1', 'nginx:1'), rs('bad', 'x', 'nginx:0'), rs('none', undefined, 'nginx:9')], (w) => warnings.push(w));

  it('lists revisions in order with their change causes; a ReplicaSet without the annotation is revision 0', () => {
    expect(viewHistory(revisions, 0)).toBe('REVISION  CHANGE-CAUSE\n0         <none>\n1         <none>\n2         kubectl set image deployment/web c=nginx:2\n');
    expect(warnings).toEqual(['unable to get revision from replicaset bad: strconv.ParseInt: parsing "x": invalid syntax']);
  });

  it('--revision prints that revision’s template, with the change cause among its annotations', () => {
    const text = viewHistory(revisions, 2);
    expect(text).toMatch(/^Pod Template:\n  Labels:\tapp=web\n\tpod-template-hash=b\n  Annotations:\tkubernetes\.io\/change-cause: kubectl set image deployment\/web c=nginx:2\n  Containers:\n   c:\n    Image:\tnginx:2\n/);
    expect(() => viewHistory(revisions, 7)).toThrow('unable to find the specified revision');
  });

  it('the name printer line: a trailing space without --revision, "with revision #N" with it', () => {
    expect(historyOperation('X', 0)).toBe('\nX');
    expect(historyOperation('X', 3)).toBe('with revision #3\nX');
  });

  it('nothing to show', () => {
    expect(viewHistory(new Map(), 0)).toBe('No rollout history found.');
  });
});

describe('rollout history of a DaemonSet or StatefulSet', () => {
  it('reads ControllerRevisions: revision numbers, change causes and restored templates', () => {
    const ds = { metadata: { name: 'agent' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'agent:3' }] } } } };
    const cr = (revision: number, image: string, cause?: string) => ({
      metadata: { name: `agent-${revision}`, annotations: cause ? { 'kubernetes.io/change-cause': cause } : {} },
      revision,
      data: { spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'a', image }] } } } },
    });
    const revisions = controllerRevisions(ds, [cr(2, 'agent:2', 'upgrade'), cr(1, 'agent:1')]);
    expect(viewHistory(revisions, 0)).toBe('REVISION  CHANGE-CAUSE\n1         <none>\n2         upgrade\n');
    expect(viewHistory(revisions, 1)).toContain('   a:\n    Image:\tagent:1\n');
  });
});

describe('workloadKind', () => {
  it('the three workloads; kubectl’s errors for the other kinds it knows and for kinds it does not', () => {
    expect(workloadKind({ group: 'apps', kind: 'StatefulSet' }, 'history viewer', 'error retrieving history')).toBe('StatefulSet');
    expect(() => workloadKind({ group: 'apps', kind: 'ReplicaSet' }, 'history viewer', 'error retrieving history')).toThrow('no history viewer has been implemented for "ReplicaSet.apps"');
    expect(() => workloadKind({ group: '', kind: 'Pod' }, 'rollbacker', 'error retrieving rollbacker')).toThrow('no rollbacker has been implemented for "Pod"');
    expect(() => workloadKind({ group: '', kind: 'ConfigMap' }, 'history viewer', 'error retrieving history')).toThrow(
      'error retrieving history for "ConfigMap", no visitor method exists for { ConfigMap}',
    );
  });
});
