import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASES, NAMESPACES, NODES, PODS, type KObject, type Node, type Pod } from '@skiff/api';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import descriptor from './plugin.ts';

let env: ControllerTestEnv;
const renewing = new Map<string, NodeJS.Timeout>();

beforeAll(async () => {
  env = await startControllers([
    { descriptor, config: { nodeMonitorGracePeriodSeconds: 1, nodeMonitorPeriodSeconds: 0.2, nodeEvictionRate: 100 } },
  ]);
  await env.t.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-node-lease' } });
});
afterAll(async () => {
  for (const t of renewing.values()) clearInterval(t);
  await env?.stop();
});

const k = () => env.t.kernel;
const micro = () => new Date().toISOString().replace('Z', '000Z');

/** A node whose "kubelet" renews its Lease every 200 ms until stopped. */
async function node(name: string, zone = 'a'): Promise<void> {
  // created with its status, as a kubelet registers (no moment without a Ready condition for the controller to taint)
  await k().create(NODES, {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString() }] },
  });
  await k().create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 1, renewTime: micro() } });
  renewing.set(name, setInterval(() => void k().patch(LEASES, 'kube-node-lease', name, 'merge', { spec: { renewTime: micro() } }).catch(() => {}), 200));
}

async function pod(name: string, nodeName: string, tolerationSeconds?: number | null): Promise<void> {
  const tolerations = tolerationSeconds === undefined ? [] : [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(tolerationSeconds === null ? {} : { tolerationSeconds }) }];
  const p = await k().create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, tolerations, containers: [{ name: 'c', image: 'busybox' }] } });
  await k().update(PODS, { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } } as KObject, { subresource: 'status' });
}

const getNode = async (name: string) => (await k().get(NODES, undefined, name)) as Node;
const exists = (name: string) => k().get(PODS, 'default', name).then((p) => !p.metadata.deletionTimestamp, () => false);

describe('node-lifecycle-controller', () => {
  it('leaves a node that renews its lease alone', async () => {
    await node('healthy', 'a');
    await sleep(1800);
    const n = await getNode('healthy');
    expect(n.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
    expect(n.spec?.taints ?? []).toEqual([]);
  });

  it('makes a silent node Unknown, taints it unreachable and evicts its pods as their tolerations say', async () => {
    await node('dying', 'b');
    await pod('no-toleration', 'dying');
    await pod('ten-seconds', 'dying', 2);
    await pod('forever', 'dying', null);
    await sleep(300);
    clearInterval(renewing.get('dying')!); // the kubelet dies
    const t0 = Date.now();
    await eventually(async () => (await getNode('dying')).status!.conditions!.find((c) => c.type === 'Ready')!.status === 'Unknown', 5000, 'Unknown');
    expect(Date.now() - t0).toBeGreaterThan(800);
    const n = await eventually(async () => {
      const n = await getNode('dying');
      return n.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') ? n : undefined;
    }, 5000, 'NoExecute taint');
    expect(n.spec!.taints!.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoSchedule')).toBe(true);
    for (const c of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) expect(n.status!.conditions!.find((x) => x.type === c)?.status).toBe('Unknown');
    // pods were marked not ready
    const forever = (await k().get(PODS, 'default', 'forever')) as Pod;
    expect(forever.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('False');
    await eventually(async () => !(await exists('no-toleration')), 3000, 'untolerating pod evicted');
    expect(await exists('ten-seconds')).toBe(true);
    const tTaint = Date.now();
    await eventually(async () => !(await exists('ten-seconds')), 5000, 'pod evicted after tolerationSeconds');
    expect(Date.now() - tTaint).toBeGreaterThan(1000);
    await sleep(500);
    expect(await exists('forever')).toBe(true);
    // the kubelet comes back: the taints go
    await k().patch(LEASES, 'kube-node-lease', 'dying', 'merge', { spec: { renewTime: micro() } });
    const cur = await getNode('dying');
    await k().update(NODES, { ...cur, status: { ...cur.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString() }] } } as KObject, { subresource: 'status' });
    renewing.set('dying', setInterval(() => void k().patch(LEASES, 'kube-node-lease', 'dying', 'merge', { spec: { renewTime: micro() } }).catch(() => {}), 200));
    await eventually(async () => ((await getNode('dying')).spec?.taints ?? []).length === 0, 5000, 'taints removed');
  });

  it('taints nothing for eviction when every zone has lost all its nodes', async () => {
    // only zone c: one node, which dies; zones a and b still have ready nodes, so first kill those too
    for (const n of ['healthy', 'dying']) clearInterval(renewing.get(n)!);
    await eventually(async () => {
      const all = (await k().list(NODES)).items as Node[];
      return all.every((n) => n.status!.conditions!.find((c) => c.type === 'Ready')!.status === 'Unknown');
    }, 6000, 'all nodes Unknown');
    await sleep(1200);
    const all = (await k().list(NODES)).items as Node[];
    // the first of them may have been tainted before the last one died; at least one was spared
    expect(all.some((n) => !(n.spec?.taints ?? []).some((t) => t.effect === 'NoExecute'))).toBe(true);
  });
});
