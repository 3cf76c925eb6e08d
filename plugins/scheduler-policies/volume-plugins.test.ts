// The volume policies as plugins, with the real scheduler, the PV controller and a test provisioner
// on a real kernel: WaitForFirstConsumer provisions on the node the scheduler chose (PreBind sets
// selected-node and waits for Bound), a second pod of the claim follows the volume's node, static
// WaitForFirstConsumer volumes are pre-bound, and a pod waiting for a missing claim is retried when
// the claim comes (the StorageChange event), not after the unschedulable flush.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSI_NODES, PODS, PVCS, PVS, STORAGE_CLASSES, type PersistentVolume, type PersistentVolumeClaim, type Pod } from '@skiff/api';
import type { KObject } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import schedulerPlugin from '../scheduler/plugin.ts';
import { createNode } from '../scheduler/test-helpers.ts';
import pvController from '../persistentvolume-controller/plugin.ts';
import { startTestProvisioner, type TestProvisioner } from '../persistentvolume-controller/testing.ts';
import { defaultPolicyPlugins } from './mod.ts';

const DRIVER = 'hostpath.csi.skiff.io';
const TOPO = 'topology.hostpath.csi.skiff.io/node';
let t: TestKernel;
let host: PluginHost;
let prov: TestProvisioner;
const k = () => t.kernel;

beforeAll(async () => {
  t = await startTestKernel();
  host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'error' }) });
  for (const n of ['n1', 'n2']) await createNode(t.kernel, n, { labels: { 'kubernetes.io/hostname': n, [TOPO]: n } });
  // the driver runs on n2 only
  await t.kernel.create(CSI_NODES, { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: 'n2' }, spec: { drivers: [{ name: DRIVER, nodeID: 'n2', topologyKeys: [TOPO] }] } });
  await host.load([
    { descriptor: schedulerPlugin, config: { leaderElection: false } },
    ...Object.values(defaultPolicyPlugins).map((descriptor) => ({ descriptor, ...(descriptor.name === 'volume-binding' ? { config: { bindTimeoutSeconds: 20 } } : {}) })),
    { descriptor: pvController, config: { leaderElection: false } },
  ]);
  prov = startTestProvisioner(t.kernel, { driver: DRIVER, node: 'n2', topologyKey: TOPO });
});
afterAll(async () => {
  prov?.stop();
  await host?.stopAll();
  await t?.stop();
});

const sc = (name: string, more: Record<string, unknown> = {}): KObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: DRIVER, volumeBindingMode: 'WaitForFirstConsumer', ...more });
const pvc = (name: string, cls: string): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: cls },
});
const podWith = (name: string, claim: string): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'pause' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] },
});
const nodeOf = (name: string) => eventually(async () => ((await k().get(PODS, 'default', name)) as Pod).spec?.nodeName, 15_000, `${name} scheduled`);
const getPVC = async (name: string) => (await k().get(PVCS, 'default', name)) as PersistentVolumeClaim;

describe('volume policies with the scheduler', () => {
  it('WaitForFirstConsumer: provisioned on the node with the driver, after the scheduler chose it; the next pod of the claim follows', async () => {
    await k().create(STORAGE_CLASSES, sc('wffc'));
    await k().create(PVCS, pvc('data', 'wffc'));
    await k().create(PODS, podWith('first', 'data'));
    expect(await nodeOf('first')).toBe('n2');
    const c = await getPVC('data');
    expect(c.metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe('n2');
    expect(c.status?.phase).toBe('Bound'); // PreBind waited for it
    // no storage admission here: the PV controller added the protection finalizer itself
    expect(c.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    const pv = (await k().get(PVS, undefined, c.spec!.volumeName!)) as PersistentVolume;
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]).toEqual({ key: TOPO, operator: 'In', values: ['n2'] });
    await k().create(PODS, podWith('second', 'data'));
    expect(await nodeOf('second')).toBe('n2');
  });

  it('a static WaitForFirstConsumer volume is pre-bound on the node it lives on', async () => {
    await k().create(STORAGE_CLASSES, sc('local', { provisioner: 'kubernetes.io/no-provisioner' }));
    await k().create(PVS, {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'local-n1' },
      spec: {
        capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'local', local: { path: '/mnt/disk1' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } },
      },
    });
    await k().create(PVCS, pvc('local-data', 'local'));
    await k().create(PODS, podWith('local-user', 'local-data'));
    expect(await nodeOf('local-user')).toBe('n1');
    expect((await getPVC('local-data')).spec?.volumeName).toBe('local-n1');
  });

  it('a provisioner that gives up (resets selected-node) fails PreBind: the pod is not bound, and the scheduler asks again', async () => {
    const FLAKY = 'flaky.csi.skiff.io';
    await k().create(CSI_NODES, { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: 'n1' }, spec: { drivers: [{ name: FLAKY, nodeID: 'n1' }] } });
    await k().create(STORAGE_CLASSES, sc('flaky', { provisioner: FLAKY }));
    await k().create(PVCS, pvc('flaky-data', 'flaky'));
    await k().create(PODS, podWith('flaky-user', 'flaky-data'));
    // play the failing provisioner: take selected-node away each time it appears
    let resets = 0;
    await eventually(async () => {
      const c = await getPVC('flaky-data');
      const ann = { ...c.metadata.annotations };
      if (ann['volume.kubernetes.io/selected-node'] === 'n1') {
        delete ann['volume.kubernetes.io/selected-node'];
        await k().update(PVCS, { ...c, metadata: { ...c.metadata, annotations: ann } }).then(() => resets++, () => undefined);
      }
      return resets >= 2;
    }, 20_000, 'the scheduler to ask twice');
    expect(((await k().get(PODS, 'default', 'flaky-user')) as Pod).spec?.nodeName).toBeUndefined();
  });

  it('a pod whose claim is missing waits (kube\'s message) and is scheduled soon after the claim comes', async () => {
    await k().create(PODS, podWith('early', 'late-claim'));
    await eventually(async () => {
      const p = (await k().get(PODS, 'default', 'early')) as Pod;
      return p.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False')?.message?.includes('persistentvolumeclaim "late-claim" not found');
    }, 10_000, 'unschedulable');
    const start = Date.now();
    await k().create(PVCS, pvc('late-claim', 'wffc'));
    expect(await nodeOf('early')).toBe('n2');
    expect(Date.now() - start).toBeLessThan(15_000);
  });
});
