// Hollow nodes out of process: the same HollowNodes over the kernel bus client (connectKernel).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { serveKernelBus, connectKernel, type BusServer, type KernelBusClient } from '@skiff/kernel/bus';
import type { KObject } from '@skiff/kernel';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { HollowNodes } from './hollow.ts';
import { LEASES, LEASE_NAMESPACE, NODES, PODS } from './objects.ts';
import { phaseOf, pod, until } from './testing.ts';

type Obj = Record<string, any>;

let t: TestKernel;
let bus: BusServer;
let nc: NatsConnection;
let client: KernelBusClient;
let sim: HollowNodes;

beforeAll(async () => {
  t = await startTestKernel();
  bus = await serveKernelBus(t.nc, t.kernel);
  nc = await connect({ servers: t.nats.url, name: 'node-sim', noAsyncTraces: true });
  client = await connectKernel(nc);
  sim = new HollowNodes(client, { nodes: 50, prefix: 'bus', leaseIntervalSeconds: 1, extendedResources: { 'nvidia.com/gpu': '8' } });
  await sim.start();
}, 60_000);
afterAll(async () => {
  await sim?.stop({ deleteNodes: true });
  await client?.close().catch(() => {});
  await nc?.close();
  await bus?.stop();
  await t?.stop();
});

test('registers nodes and leases over the bus', async () => {
  const nodes = await t.kernel.list(NODES, { labelSelector: 'type=hollow' });
  expect(nodes.items).toHaveLength(50);
  const n = nodes.items.find((o) => o.metadata.name === 'bus-49') as Obj;
  expect(n.status.capacity).toMatchObject({ cpu: '32', memory: '256Gi', pods: '110', 'nvidia.com/gpu': '8' });
  expect(n.status.conditions.find((c: Obj) => c.type === 'Ready').status).toBe('True');
  const l0 = (await t.kernel.get(LEASES, LEASE_NAMESPACE, 'bus-0')) as Obj;
  await until(async () => ((await t.kernel.get(LEASES, LEASE_NAMESPACE, 'bus-0')) as Obj).spec.renewTime !== l0.spec.renewTime, 10_000, 'lease renewal');
});

test('a pod bound over the binding subresource runs, and its deletion completes', async () => {
  await t.kernel.create(PODS, pod('via-bus'));
  await t.kernel.create(PODS, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'via-bus', namespace: 'default' }, target: { name: 'bus-7' } } as KObject, {
    subresource: 'binding',
  });
  await until(async () => (await phaseOf(t.kernel, 'default', 'via-bus')) === 'Running', 10_000, 'Running');
  const p = (await t.kernel.get(PODS, 'default', 'via-bus')) as Obj;
  expect(p.status.containerStatuses[0]).toMatchObject({ ready: true, started: true, containerID: `hollow://${p.metadata.uid}-c0` });
  expect(p.status.podIP).toMatch(/^10\.244\.7\./);
  await t.kernel.delete(PODS, 'default', 'via-bus');
  await until(async () => (await t.kernel.list(PODS, { namespace: 'default' })).items.length === 0, 10_000, 'pod gone');
  expect(sim.stats()).toMatchObject({ podsStarted: 1, podsDeleted: 1 });
});
