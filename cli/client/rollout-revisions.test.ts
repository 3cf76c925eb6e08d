import { describe, expect, it } from 'vitest';
import { controlledBy, deploymentReplicaSets, equalIgnoreHash, revisionMatches, revisionPatchOf, semanticEqual, templateOfRevision } from './rollout-revisions.ts';

const owner = { metadata: { name: 'web', uid: 'u-1' }, spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } };
const ref = (uid: string, controller = true) => [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid, controller }];

function rs(name: string, created: string, image: string, uid = 'u-1', controller = true) {
  return {
    metadata: { name, uid: `rs-${name}`, creationTimestamp: created, ownerReferences: ref(uid, controller) },
    spec: { template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

describe('semanticEqual', () => {
  it('treats missing, null, {} and [] alike, and nothing else', () => {
    expect(semanticEqual({ a: 1, b: {} }, { a: 1 })).toBe(true);
    expect(semanticEqual({ a: [], c: null }, {})).toBe(true);
    expect(semanticEqual({ a: [1] }, { a: [] })).toBe(false);
    expect(semanticEqual({ a: 0 }, {})).toBe(false);
    expect(semanticEqual({ a: { b: 'x' } }, { a: { b: 'y' } })).toBe(false);
  });

  it('equalIgnoreHash ignores only the pod-template-hash label', () => {
    const t = owner.spec.template;
    expect(equalIgnoreHash({ ...t, metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } }, t)).toBe(true);
    expect(equalIgnoreHash({ ...t, metadata: { labels: { app: 'web', tier: 'x' } } }, t)).toBe(false);
    expect(t.metadata.labels).toEqual({ app: 'web' }); // no copy was changed in place
  });
});

describe('deploymentReplicaSets', () => {
  it('keeps only the ReplicaSets the Deployment controls; the new one (matching template) goes last', () => {
    const listed = [
      rs('c', '2024-01-03T00:00:00Z', 'nginx:3'),
      rs('b', '2024-01-02T00:00:00Z', 'nginx:2'),
      rs('a', '2024-01-01T00:00:00Z', 'nginx:1'),
      rs('other', '2024-01-01T00:00:00Z', 'nginx:2', 'u-2'),
      rs('adopted-not', '2024-01-01T00:00:00Z', 'nginx:2', 'u-1', false),
    ];
    const { all, newRS } = deploymentReplicaSets(owner, listed);
    expect(newRS?.metadata.name).toBe('b');
    expect(all.map((x) => x.metadata.name)).toEqual(['a', 'c', 'b']);
    expect(controlledBy(listed[3]!, owner)).toBe(false);
  });

  it('of two matching templates the oldest is the new one (ties by name)', () => {
    const { newRS } = deploymentReplicaSets(owner, [rs('y', '2024-01-01T00:00:00Z', 'nginx:2'), rs('x', '2024-01-01T00:00:00Z', 'nginx:2')]);
    expect(newRS?.metadata.name).toBe('x');
  });

  it('no match: no new ReplicaSet', () => {
    expect(deploymentReplicaSets(owner, [rs('a', '2024-01-01T00:00:00Z', 'nginx:1')]).newRS).toBeUndefined();
  });
});

describe('ControllerRevisions', () => {
  const ds = { metadata: { name: 'agent', uid: 'd-1' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:2', env: [{ name: 'X', value: '1' }] }] } } } };
  const cr = (image: string) => ({ revision: 1, data: { spec: { template: { $patch: 'replace', metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image }] } } } } });

  it('a revision restores its template whole ($patch: replace drops fields the current one has)', () => {
    expect(templateOfRevision(ds, cr('agent:1'))).toEqual({ metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }] } });
  });

  it('matches exactly the patch the controller would store for the current template', () => {
    expect(revisionMatches(ds, { data: revisionPatchOf(ds) })).toBe(true);
    expect(revisionMatches(ds, cr('agent:2'))).toBe(false); // the env differs
  });
});
