// VolumeBinding's filter, VolumeRestrictions and NodeVolumeLimits on hand-built pods, nodes and
// fixed claims/volumes/classes (PreBind against a real kernel is in volume-plugins.test.ts).
import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import type { PodInfo } from '@skiff/plugin-scheduler/framework';
import { nodeVolumeLimits } from './node-volume-limits.ts';
import { node, pod, reasons, runFilter } from './testing.ts';
import { volumeBinding } from './volume-binding.ts';
import { fixedListers, type VolumeListers } from './volume-listers.ts';
import { volumeRestrictions } from './volume-restrictions.ts';

const DRIVER = 'hostpath.csi.skiff.io';
const TOPO = 'topology.hostpath.csi.skiff.io/node';
const unusedKernel = {} as never;

const withClaims = (name: string, ...claims: string[]): PodInfo => {
  const p = pod(name);
  (p.pod.spec as Record<string, unknown>).volumes = claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } }));
  return p;
};
const claim = (name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid: `uid-${name}`, ...meta },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local', ...spec },
});
const volume = (name: string, nodeName: string | undefined, spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
  spec: {
    capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'local', volumeMode: 'Filesystem', csi: { driver: DRIVER, volumeHandle: `h-${name}` },
    ...(nodeName ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }] } } } : {}),
    ...spec,
  },
});
const sc = (name: string, more: Record<string, unknown> = {}): KObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: DRIVER, volumeBindingMode: 'WaitForFirstConsumer', ...more });
const csiNode = (name: string, count?: number): KObject => ({
  apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name }, spec: { drivers: [{ name: DRIVER, nodeID: name, topologyKeys: [TOPO], ...(count !== undefined ? { allocatable: { count } } : {}) }] },
});
const vb = (l: VolumeListers) => volumeBinding(unusedKernel, l);
const nodes = () => [node('n1', { labels: { [TOPO]: 'n1' } }), node('n2', { labels: { [TOPO]: 'n2' } })];

describe('VolumeBinding filter', () => {
  it('skips pods without claims; a missing claim is unresolvable with kube\'s message', () => {
    expect(runFilter(vb(fixedListers({})), pod('p'), nodes()).skipped).toBe(true);
    const run = runFilter(vb(fixedListers({})), withClaims('p', 'nope'), nodes());
    expect(run.statuses.n1).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: ['persistentvolumeclaim "nope" not found'] });
  });

  it('an unbound Immediate claim: "pod has unbound immediate PersistentVolumeClaims"', () => {
    const l = fixedListers({ claims: [claim('c', { storageClassName: 'now' })], classes: [sc('now', { volumeBindingMode: 'Immediate' })] });
    expect(reasons(runFilter(vb(l), withClaims('p', 'c'), nodes())).n1).toEqual(['pod has unbound immediate PersistentVolumeClaims']);
  });

  it('a bound claim: the volume\'s node affinity decides', () => {
    const l = fixedListers({ claims: [claim('c', { volumeName: 'pv1' })], volumes: [volume('pv1', 'n2')] });
    expect(reasons(runFilter(vb(l), withClaims('p', 'c'), nodes()))).toEqual({ n1: ['node(s) had volume node affinity conflict'], n2: [] });
    const gone = fixedListers({ claims: [claim('c', { volumeName: 'pv9' })] });
    expect(reasons(runFilter(vb(gone), withClaims('p', 'c'), nodes())).n1).toEqual(['node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)']);
  });

  it('WaitForFirstConsumer: a free static volume on the node, else a provisioner on the node (CSINode), its topology and capacity', () => {
    const c = claim('c');
    // a static volume on n2 only, and no driver anywhere
    let l = fixedListers({ claims: [c], classes: [sc('local')], volumes: [volume('pv-n2', 'n2')] });
    const run = runFilter(vb(l), withClaims('p', 'c'), nodes());
    expect(reasons(run)).toEqual({ n1: ["node(s) didn't find available persistent volumes to bind"], n2: [] });
    expect(run.statuses.n1!.code).toBe('UnschedulableAndUnresolvable');
    // the driver runs on n1: provisioning there
    l = fixedListers({ claims: [c], classes: [sc('local')], csiNodes: [csiNode('n1')] });
    expect(reasons(runFilter(vb(l), withClaims('p', 'c'), nodes()))).toEqual({ n1: [], n2: ["node(s) didn't find available persistent volumes to bind"] });
    // allowedTopologies keep it off n1
    l = fixedListers({ claims: [c], classes: [sc('local', { allowedTopologies: [{ matchLabelExpressions: [{ key: TOPO, values: ['n2'] }] }] })], csiNodes: [csiNode('n1'), csiNode('n2')] });
    expect(reasons(runFilter(vb(l), withClaims('p', 'c'), nodes()))).toEqual({ n1: ["node(s) didn't find available persistent volumes to bind"], n2: [] });
    // capacity: the driver reports it; n1 has 500Mi, n2 has 10Gi
    const cap = (n: string, size: string): KObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIStorageCapacity', metadata: { name: `cap-${n}`, namespace: 'kube-system' }, storageClassName: 'local', nodeTopology: { matchLabels: { [TOPO]: n } }, capacity: size } as KObject);
    l = fixedListers({
      claims: [c], classes: [sc('local')], csiNodes: [csiNode('n1'), csiNode('n2')],
      csiDrivers: [{ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: DRIVER }, spec: { storageCapacity: true } }],
      capacities: [cap('n1', '500Mi'), cap('n2', '10Gi')],
    });
    expect(reasons(runFilter(vb(l), withClaims('p', 'c'), nodes()))).toEqual({ n1: ['node(s) did not have enough free storage'], n2: [] });
    // a node already selected for the claim
    l = fixedListers({ claims: [claim('c', {}, { annotations: { 'volume.kubernetes.io/selected-node': 'n2' } })], classes: [sc('local')], csiNodes: [csiNode('n1'), csiNode('n2')] });
    expect(reasons(runFilter(vb(l), withClaims('p', 'c'), nodes()))).toEqual({ n1: ["node(s) didn't find available persistent volumes to bind"], n2: [] });
  });

  it('Reserve keeps a chosen static volume from another pod until unreserved', () => {
    const l = fixedListers({ claims: [claim('a'), claim('b')], classes: [sc('local', { provisioner: 'kubernetes.io/no-provisioner' })], volumes: [volume('only', 'n1')] });
    const policy = vb(l);
    const first = runFilter(policy, withClaims('p1', 'a'), nodes());
    expect(reasons(first).n1).toEqual([]);
    const p1 = withClaims('p1', 'a');
    policy.reserve!(first.state, p1, 'n1');
    expect(policy.assumed.get('only')).toBe(p1.key);
    expect(reasons(runFilter(policy, withClaims('p2', 'b'), nodes())).n1).toEqual(["node(s) didn't find available persistent volumes to bind"]);
    policy.unreserve!(first.state, p1, 'n1');
    expect(reasons(runFilter(policy, withClaims('p2', 'b'), nodes())).n1).toEqual([]);
  });
});

describe('VolumeRestrictions', () => {
  it('a ReadWriteOncePod claim serves one pod', () => {
    const l = fixedListers({ claims: [claim('solo', { accessModes: ['ReadWriteOncePod'] }), claim('shared')] });
    const user = withClaims('user', 'solo');
    const ns = [node('n1', { pods: [user] }), node('n2')];
    const run = runFilter(volumeRestrictions(l), withClaims('second', 'solo'), ns);
    expect(run.statuses.n2).toEqual({ code: 'Unschedulable', reasons: ['node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode'] });
    expect(runFilter(volumeRestrictions(l), withClaims('other', 'shared'), ns).skipped).toBe(true);
  });
});

describe('NodeVolumeLimits', () => {
  it('CSINode allocatable.count caps the driver\'s volumes on the node, each volume counted once', () => {
    const l = fixedListers({
      claims: [claim('a', { volumeName: 'pa' }), claim('b', { volumeName: 'pb' }), claim('c', { volumeName: 'pc' })],
      volumes: [volume('pa', undefined), volume('pb', undefined), volume('pc', undefined)],
      csiNodes: [csiNode('n1', 2), csiNode('n2')],
    });
    const ns = [node('n1', { pods: [withClaims('x', 'a'), withClaims('y', 'a', 'b')] }), node('n2', { pods: [withClaims('z', 'a', 'b')] })];
    expect(reasons(runFilter(nodeVolumeLimits(l), withClaims('p', 'c'), ns))).toEqual({ n1: ['node(s) exceed max volume count'], n2: [] });
    // a volume already on the node does not count again
    expect(reasons(runFilter(nodeVolumeLimits(l), withClaims('q', 'b'), ns))).toEqual({ n1: [], n2: [] });
  });
});
