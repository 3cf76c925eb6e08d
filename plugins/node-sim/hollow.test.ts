// Hollow nodes against the real (in-process) kernel: registration, leases, pods, restart.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import type { KObject } from '@skiff/kernel';
import { HollowNodes } from './hollow.ts';
import { expandNodes, parseNodeGroups, parseTaint, resolveConfig } from './config.ts';
import { LEASES, LEASE_NAMESPACE, NODES, PODS, podCIDR, nodeIP } from './objects.ts';
import { phaseOf, pod, sleep, until } from './testing.ts';

type Obj = Record<string, any>;

describe('config', () => {
  test('taints, node groups and naming', () => {
    expect(parseTaint('dedicated=gpu:NoSchedule')).toEqual({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' });
    expect(parseTaint('spot:PreferNoSchedule')).toEqual({ key: 'spot', effect: 'PreferNoSchedule' });
    expect(() => parseTaint('bad')).toThrow(/invalid taint/);
    const groups = parseNodeGroups(`
- count: 2
  cpu: 8
  labels: { pool: small }
- count: 1
  prefix: gpu
  extendedResources: { nvidia.com/gpu: 4 }
  taints: ["nvidia.com/gpu=present:NoSchedule"]
- count: 1
  labels: { pool: big }
`);
    const nodes = expandNodes(resolveConfig({ groups, labels: { zone: 'z1' } }));
    expect(nodes.map((n) => n.name)).toEqual(['hollow-0', 'hollow-1', 'gpu-0', 'hollow-2']);
    expect(nodes[0]).toMatchObject({ cpu: '8', memory: '256Gi', labels: { zone: 'z1', pool: 'small' } });
    expect(nodes[2]).toMatchObject({ extendedResources: { 'nvidia.com/gpu': '4' }, taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] });
    expect(nodes[3]!.index).toBe(3);
    expect(() => parseNodeGroups('- prefix: x')).toThrow(/count/);
  });

  test('addresses are unique and in 10/8', () => {
    expect(nodeIP(0)).toBe('10.0.0.1');
    expect(podCIDR(0)).toBe('10.244.0.0/24');
    expect(podCIDR(257)).toBe('10.245.1.0/24');
    expect(podCIDR(3072)).toBe('10.16.0.0/24');
    const cidrs = new Set(Array.from({ length: 10_000 }, (_, i) => podCIDR(i)));
    expect(cidrs.size).toBe(10_000);
  });
});

describe('hollow nodes (in-process kernel)', () => {
  let t: TestKernel;
  let sim: HollowNodes;
  const config = {
    nodes: 200,
    prefix: 'hn',
    cpu: '16',
    memory: '64Gi',
    pods: 50,
    extendedResources: { 'example.com/fpga': '2' },
    labels: { 'topology.kubernetes.io/zone': 'zone-a' },
    taints: [{ key: 'hollow', value: 'true', effect: 'NoSchedule' as const }],
    leaseIntervalSeconds: 2,
    nodeStatusIntervalSeconds: 5,
  };

  beforeAll(async () => {
    t = await startTestKernel();
    sim = new HollowNodes(t.kernel, config);
    await sim.start();
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
    await t?.stop();
  });

  test('registers 200 Ready nodes with capacity, labels and taints', async () => {
    const list = await t.kernel.list(NODES, { labelSelector: 'type=hollow' });
    expect(list.items).toHaveLength(200);
    const n = (await t.kernel.get(NODES, undefined, 'hn-7')) as Obj;
    expect(n.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'hn-7',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      type: 'hollow',
      'topology.kubernetes.io/zone': 'zone-a',
    });
    expect(n.spec.taints).toEqual([{ key: 'hollow', value: 'true', effect: 'NoSchedule' }]);
    expect(n.spec.podCIDR).toBe('10.244.7.0/24');
    const res = { cpu: '16', memory: '64Gi', pods: '50', 'ephemeral-storage': '100Gi', 'example.com/fpga': '2' };
    expect(n.status.capacity).toEqual(res);
    expect(n.status.allocatable).toEqual(res);
    const cond = Object.fromEntries(n.status.conditions.map((c: Obj) => [c.type, c.status]));
    expect(cond).toEqual({ Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False' });
    for (const c of n.status.conditions) expect(c.lastHeartbeatTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(n.status.addresses).toContainEqual({ type: 'InternalIP', address: '10.0.0.8' });
    expect(n.status.nodeInfo).toMatchObject({
      kubeletVersion: 'v1.32.0-skiff-hollow',
      containerRuntimeVersion: 'hollow://0.1',
      architecture: 'amd64',
      operatingSystem: 'linux',
      osImage: expect.any(String),
    });
    const ready = list.items.filter((o: Obj) => o.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True'));
    expect(ready).toHaveLength(200);
    expect(sim.stats()).toMatchObject({ nodes: 200, registered: 200, adopted: 0, errors: 0 });
  });

  test('leases exist, are owned by their nodes and renew', async () => {
    const leases = await t.kernel.list(LEASES, { namespace: LEASE_NAMESPACE });
    expect(leases.items).toHaveLength(200);
    const l0 = (await t.kernel.get(LEASES, LEASE_NAMESPACE, 'hn-3')) as Obj;
    const node = await t.kernel.get(NODES, undefined, 'hn-3');
    expect(l0.spec).toMatchObject({ holderIdentity: 'hn-3', leaseDurationSeconds: 40 });
    expect(l0.spec.renewTime).toMatch(/\.\d{6}Z$/);
    expect(l0.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'hn-3', uid: node.metadata.uid }]);
    const before = sim.stats().leaseRenewals;
    const t0 = Date.now();
    const l1 = (await until(async () => {
      const l = (await t.kernel.get(LEASES, LEASE_NAMESPACE, 'hn-3')) as Obj;
      return l.spec.renewTime !== l0.spec.renewTime && l;
    }, 8000, 'a lease renewal')) as Obj;
    expect(Date.parse(l1.spec.renewTime)).toBeGreaterThan(Date.parse(l0.spec.renewTime));
    await sleep(Math.max(0, 2500 - (Date.now() - t0)));
    const rate = ((sim.stats().leaseRenewals - before) * 1000) / (Date.now() - t0);
    // 200 nodes every 2 s: ~100/s, evenly (loose bounds: CI machines are busy; scale.test.ts measures)
    expect(rate).toBeGreaterThan(25);
    expect(rate).toBeLessThan(150);
    // node status heartbeats too
    const n = (await t.kernel.get(NODES, undefined, 'hn-3')) as Obj;
    expect(sim.stats().nodeHeartbeats).toBeGreaterThan(0);
    expect(n.status.conditions[0].lastHeartbeatTime >= n.status.conditions[0].lastTransitionTime).toBe(true);
  });

  test('a pod bound to a hollow node (spec.nodeName) becomes Running with full status', async () => {
    const created = await t.kernel.create(PODS, pod('direct', { nodeName: 'hn-5', containers: 2, init: true }));
    const p = (await until(async () => {
      const p = (await t.kernel.get(PODS, 'default', 'direct')) as Obj;
      return p.status?.phase === 'Running' && p;
    }, 10_000, 'pod Running')) as Obj;
    const s = p.status;
    expect(s.qosClass).toBe('Burstable');
    const cond = Object.fromEntries(s.conditions.map((c: Obj) => [c.type, c.status]));
    expect(cond).toMatchObject({ Initialized: 'True', ContainersReady: 'True', Ready: 'True', PodScheduled: 'True' });
    expect(s.hostIP).toBe('10.0.0.6');
    expect(s.podIP).toMatch(/^10\.244\.5\.\d+$/);
    expect(s.podIPs).toEqual([{ ip: s.podIP }]);
    expect(s.startTime).toEqual(expect.any(String));
    expect(s.containerStatuses).toHaveLength(2);
    for (const [i, c] of s.containerStatuses.entries()) {
      expect(c).toMatchObject({
        name: `c${i}`,
        ready: true,
        started: true,
        restartCount: 0,
        image: `registry.example/app${i}:1.0`,
        imageID: expect.stringMatching(/^registry\.example\/app\d@sha256:[0-9a-f]{64}$/),
        containerID: `hollow://${created.metadata.uid}-c${i}`,
        state: { running: { startedAt: expect.any(String) } },
      });
    }
    expect(s.initContainerStatuses[0]).toMatchObject({ name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  });

  test('a pod bound through pods/binding becomes Running; pods on other nodes are left alone', async () => {
    await t.kernel.create(PODS, pod('bound'));
    await t.kernel.create(PODS, pod('elsewhere', { nodeName: 'not-a-hollow-node' }));
    const t0 = Date.now();
    await t.kernel.create(PODS, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound', namespace: 'default' }, target: { name: 'hn-199' } } as KObject, {
      subresource: 'binding',
    });
    await until(async () => (await phaseOf(t.kernel, 'default', 'bound')) === 'Running', 10_000, 'bound pod Running');
    console.log(`bound → Running in ${Date.now() - t0} ms`);
    const p = (await t.kernel.get(PODS, 'default', 'bound')) as Obj;
    expect(p.status.podIP).toMatch(/^10\.244\.199\.\d+$/);
    expect(p.status.conditions.filter((c: Obj) => c.type === 'PodScheduled')).toHaveLength(1);
    await sleep(200);
    expect(await phaseOf(t.kernel, 'default', 'elsewhere')).toBe('Pending');
  });

  test('deleting a pod on a hollow node completes the graceful deletion', async () => {
    await t.kernel.create(PODS, pod('doomed', { nodeName: 'hn-1' }));
    await until(async () => (await phaseOf(t.kernel, 'default', 'doomed')) === 'Running', 10_000, 'doomed Running');
    const marked = await t.kernel.delete(PODS, 'default', 'doomed'); // default grace: 30 s
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    await until(async () => {
      try {
        await t.kernel.get(PODS, 'default', 'doomed');
        return false;
      } catch (e) {
        return (e as { code?: number }).code === 404;
      }
    }, 10_000, 'pod gone');
    // a pod never started (bound, then deleted at once) is finished too
    await t.kernel.create(PODS, pod('quick', { nodeName: 'hn-2' }));
    await t.kernel.delete(PODS, 'default', 'quick');
    await until(async () => {
      const l = await t.kernel.list(PODS, { namespace: 'default', fieldSelector: 'metadata.name=quick' });
      return l.items.length === 0;
    }, 10_000, 'quick gone');
  });

  test('many pods start with bounded concurrency', async () => {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 300 }, (_, i) => t.kernel.create(PODS, pod(`many-${i}`, { nodeName: `hn-${i % 200}` }))));
    await until(async () => {
      const l = await t.kernel.list(PODS, { namespace: 'default', fieldSelector: 'status.phase=Running' });
      return l.items.filter((p) => p.metadata.name!.startsWith('many-')).length === 300;
    }, 20_000, '300 pods Running');
    const ips = (await t.kernel.list(PODS, { namespace: 'default' })).items.map((p: Obj) => p.status?.podIP).filter(Boolean);
    expect(new Set(ips).size).toBe(ips.length);
    console.log(`300 pods created and Running in ${Date.now() - t0} ms`);
  });

  test('a restart adopts the existing nodes, leases and running pods', async () => {
    const before = (await t.kernel.get(NODES, undefined, 'hn-5')) as Obj;
    const podBefore = (await t.kernel.get(PODS, 'default', 'direct')) as Obj;
    // someone cordons a node and adds a taint while the sim is down
    await sim.stop();
    await t.kernel.patch(NODES, undefined, 'hn-5', 'merge', { spec: { unschedulable: true, taints: [...before.spec.taints, { key: 'x', effect: 'NoExecute' }] } });
    sim = new HollowNodes(t.kernel, { ...config, labels: { ...config.labels, extra: 'yes' } });
    await sim.start();
    expect(sim.stats()).toMatchObject({ registered: 200, adopted: 200, errors: 0 });
    const after = (await t.kernel.get(NODES, undefined, 'hn-5')) as Obj;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.metadata.labels.extra).toBe('yes');
    expect(after.spec.unschedulable).toBe(true);
    expect(after.spec.taints).toEqual([{ key: 'hollow', value: 'true', effect: 'NoSchedule' }, { key: 'x', effect: 'NoExecute' }]);
    const ready = after.status.conditions.find((c: Obj) => c.type === 'Ready');
    expect(ready.lastTransitionTime).toBe(before.status.conditions.find((c: Obj) => c.type === 'Ready').lastTransitionTime);
    // running pods untouched; new pods get other IPs
    await until(() => sim.stats().podsRunning >= 302, 10_000, 'running pods adopted');
    const podAfter = (await t.kernel.get(PODS, 'default', 'direct')) as Obj;
    expect(podAfter.metadata.resourceVersion).toBe(podBefore.metadata.resourceVersion);
    await t.kernel.create(PODS, pod('after-restart', { nodeName: 'hn-5' }));
    await until(async () => (await phaseOf(t.kernel, 'default', 'after-restart')) === 'Running', 10_000, 'new pod Running');
    const np = (await t.kernel.get(PODS, 'default', 'after-restart')) as Obj;
    expect(np.status.podIP).not.toBe(podAfter.status.podIP);
  });

  test('stop with deleteNodes removes the nodes and leases', async () => {
    await sim.stop({ deleteNodes: true });
    expect((await t.kernel.list(NODES, { labelSelector: 'type=hollow' })).items).toHaveLength(0);
    expect((await t.kernel.list(LEASES, { namespace: LEASE_NAMESPACE })).items).toHaveLength(0);
  });
});
