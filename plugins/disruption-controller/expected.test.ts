import { describe, expect, it } from 'vitest';
import type { KObject, Pod, PodDisruptionBudget } from '@skiff/api';
import { expectedPodCount, expectedScale, type ScaleSources } from './expected.ts';

/** A lister over a few objects. */
function getter<T extends KObject>(objs: T[]) {
  return { get: (ns: string | undefined, name: string) => objs.find((o) => o.metadata.namespace === ns && o.metadata.name === name) };
}

const obj = (apiVersion: string, kind: string, name: string, replicas?: number, owner?: KObject): KObject => ({
  apiVersion,
  kind,
  metadata: {
    name,
    namespace: 'ns',
    uid: `uid-${name}`,
    ...(owner ? { ownerReferences: [{ apiVersion: String(owner.apiVersion), kind: String(owner.kind), name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true }] } : {}),
  },
  spec: replicas === undefined ? {} : { replicas },
});

const pod = (name: string, owner?: KObject): Pod => obj('v1', 'Pod', name, undefined, owner) as Pod;

const dep = obj('apps/v1', 'Deployment', 'web', 5);
const rsOld = obj('apps/v1', 'ReplicaSet', 'web-old', 1, dep);
const rsNew = obj('apps/v1', 'ReplicaSet', 'web-new', 3, dep);
const rsBare = obj('apps/v1', 'ReplicaSet', 'bare', 4);
const ss = obj('apps/v1', 'StatefulSet', 'db', 3);
const rc = obj('v1', 'ReplicationController', 'legacy', 2);
const ds = obj('apps/v1', 'DaemonSet', 'agent');
const orphanRs = obj('apps/v1', 'ReplicaSet', 'orphan', 7, obj('apps/v1', 'Deployment', 'gone', 9));

const sources: ScaleSources = {
  deployments: getter([dep]),
  replicaSets: getter([rsOld, rsNew, rsBare, orphanRs]),
  statefulSets: getter([ss]),
  replicationControllers: getter([rc]),
} as ScaleSources;

const pdb = (spec: PodDisruptionBudget['spec']): PodDisruptionBudget => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p', namespace: 'ns' }, spec });

describe('expectedScale', () => {
  it("counts a Deployment's replicas once, through every ReplicaSet of it, not the ReplicaSets' own", () => {
    const pods = [pod('a', rsOld), pod('b', rsNew), pod('c', rsNew)];
    expect(expectedScale(sources, pods)).toEqual({ expectedCount: 5, unmanagedPods: [] });
  });

  it('adds up distinct controllers of every supported kind and lists unmanaged pods', () => {
    const pods = [pod('a', rsBare), pod('b', ss), pod('c', rc), pod('d', rc), pod('bare')];
    expect(expectedScale(sources, pods)).toEqual({ expectedCount: 4 + 3 + 2, unmanagedPods: ['bare'] });
  });

  it('fails for a controller kind it cannot scale (a DaemonSet), and for an owner whose uid differs', () => {
    expect(() => expectedScale(sources, [pod('x', ds)])).toThrow('found no controllers for pod "x"');
    const impostor = { ...rsBare, metadata: { ...rsBare.metadata, uid: 'other' } };
    expect(() => expectedScale(sources, [pod('y', impostor)])).toThrow('found no controllers for pod "y"');
    // a ReplicaSet whose Deployment is not there: neither finder takes it
    expect(() => expectedScale(sources, [pod('z', orphanRs)])).toThrow('found no controllers for pod "z"');
  });

  it('rejects a malformed apiVersion in an owner reference', () => {
    const odd = { ...pod('o'), metadata: { ...pod('o').metadata, ownerReferences: [{ apiVersion: 'a/b/c', kind: 'ReplicaSet', name: 'bare', uid: 'uid-bare', controller: true }] } };
    expect(() => expectedScale(sources, [odd])).toThrow('unexpected GroupVersion string: a/b/c');
  });
});

describe('expectedPodCount', () => {
  const pods = [pod('a', rsOld), pod('b', rsNew), pod('c', rsNew)];

  it('minAvailable as a count: the selected pods are expected, no controller needed', () => {
    expect(expectedPodCount(sources, pdb({ minAvailable: 2 }), [...pods, pod('bare')])).toEqual({ expectedCount: 4, desiredHealthy: 2, unmanagedPods: [] });
  });

  it('minAvailable as a percent of the scale, rounded up', () => {
    expect(expectedPodCount(sources, pdb({ minAvailable: '50%' }), pods)).toMatchObject({ expectedCount: 5, desiredHealthy: 3 });
    expect(expectedPodCount(sources, pdb({ minAvailable: '100%' }), pods)).toMatchObject({ expectedCount: 5, desiredHealthy: 5 });
  });

  it('maxUnavailable as a count or a percent rounded up, never below zero healthy', () => {
    expect(expectedPodCount(sources, pdb({ maxUnavailable: 1 }), pods)).toMatchObject({ expectedCount: 5, desiredHealthy: 4 });
    expect(expectedPodCount(sources, pdb({ maxUnavailable: '30%' }), pods)).toMatchObject({ expectedCount: 5, desiredHealthy: 3 }); // ceil(1.5) = 2
    expect(expectedPodCount(sources, pdb({ maxUnavailable: 9 }), pods)).toMatchObject({ expectedCount: 5, desiredHealthy: 0 });
    expect(expectedPodCount(sources, pdb({ maxUnavailable: 0 }), pods)).toMatchObject({ expectedCount: 5, desiredHealthy: 5 });
  });

  it('neither set: nothing expected', () => {
    expect(expectedPodCount(sources, pdb({}), pods)).toEqual({ expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] });
  });

  it('a percent with unmanaged pods counts only the managed ones', () => {
    expect(expectedPodCount(sources, pdb({ maxUnavailable: '20%' }), [...pods, pod('bare')])).toEqual({ expectedCount: 5, desiredHealthy: 4, unmanagedPods: ['bare'] });
  });
});
