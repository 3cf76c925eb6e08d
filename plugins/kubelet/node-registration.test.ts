// The kubelet's Node registration against a runtime that waits for the node's pod CIDR (the fake
// runtime of @skiff/node-api/testing, as a runtime configuring its network from it does): the Node
// is NotReady saying the runtime network is not ready; once node IPAM's podCIDR is on the Node the
// kubelet tells the runtime (CRI UpdateRuntimeConfig), whose network comes up, and the Node turns Ready.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { FakeRuntime } from '@skiff/node-api/testing';
import { LEASE_NAMESPACE, NODES, type Condition } from './node-object.ts';
import { NodeRegistration } from './node-registration.ts';

let tk: TestKernel;
let root: string;
let reg: NodeRegistration;
const cri = new FakeRuntime({ waitForPodCIDR: true, runtimeName: 'fake', runtimeVersion: '9.9' });

beforeAll(async () => {
  tk = await startTestKernel();
  root = mkdtempSync(join(tmpdir(), 'skiff-node-reg-'));
  await tk.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NAMESPACE } });
  const id = { name: 'reg-node', address: '192.0.2.7', labels: {}, taints: [], maxPods: 10, extendedResources: {}, rootDir: root };
  reg = new NodeRegistration(tk.kernel, cri, id, { leaseDurationSeconds: 40, leaseRenewSeconds: 10, statusUpdateSeconds: 10, statusReportSeconds: 60 }, silentLogger);
  await reg.start();
});
afterAll(async () => {
  reg?.stop();
  await tk?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

const ready = async () => (((await tk.kernel.get(NODES, undefined, 'reg-node')).status as { conditions: Condition[] }).conditions).find((c) => c.type === 'Ready')!;

it('NotReady while the runtime network waits for the pod CIDR; the podCIDR given, the runtime is told and the Node turns Ready', async () => {
  const before = await ready();
  expect(before).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
  expect(before.message).toContain('container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady');
  expect(((await tk.kernel.get(NODES, undefined, 'reg-node')).status as { nodeInfo: { containerRuntimeVersion: string } }).nodeInfo.containerRuntimeVersion).toBe('fake://9.9');
  expect(cri.calls).not.toContain('updateRuntimeConfig');

  await tk.kernel.patch(NODES, undefined, 'reg-node', 'merge', { spec: { podCIDR: '10.244.4.0/24', podCIDRs: ['10.244.4.0/24'] } });
  await eventually(async () => (await ready()).status === 'True' || undefined, 10_000, 'the Node Ready');
  expect(cri.network).toMatchObject({ podCIDR: '10.244.4.0/24', ready: true });
  expect(cri.calls.filter((c) => c === 'updateRuntimeConfig')).toHaveLength(1);
});
