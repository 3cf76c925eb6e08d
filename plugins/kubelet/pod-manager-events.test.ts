// The kubelet's Events reach the API: a PodManager on a real kernel, with an in-memory CRI
// (FakeRuntime of @skiff/node-api/testing) and the real PodConfigurer. A pod that starts has Pulled, Created and Started
// Events from source kubelet on its node; a pod that cannot start says why in its status (the
// container's waiting reason and message) and in a Warning Event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { FakeRuntime } from '@skiff/node-api/testing';
import { createPodConfigurer } from './pod-configurer-impl.ts';
import { PodManager } from './pod-manager.ts';

const NODE = 'events-node';
const NS = 'evs';
const PODS = { group: '', version: 'v1', resource: 'pods' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };

let tk: TestKernel;
let root: string;
let cri: FakeRuntime;
let pods: PodManager;

beforeAll(async () => {
  tk = await startTestKernel();
  root = mkdtempSync(join(tmpdir(), 'skiff-pm-events-'));
  await tk.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  cri = new FakeRuntime({ images: { 'busybox:1.36': 4269694 } });
  const config = createPodConfigurer({ kernel: tk.kernel, cri, rootDir: root, podLogRoot: join(root, 'logs'), nodeName: NODE, clusterDNS: [], clusterDomain: 'cluster.local' });
  pods = new PodManager(tk.kernel, cri, config, { nodeName: NODE, hostIP: '192.0.2.1', relistMs: 100, resyncMs: 1_000, backoffInitialMs: 10_000 }, silentLogger);
  await pods.start();
});
afterAll(async () => {
  await pods?.stop();
  await tk?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

const createPod = (name: string, spec: Record<string, unknown>) =>
  tk.kernel.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { nodeName: NODE, ...spec } });
const eventsOf = async (name: string) =>
  (await tk.kernel.list(EVENTS, { namespace: NS })).items.filter((e) => (e.involvedObject as { name: string }).name === name);
const waitingOf = (p: KObject) => (p.status as { containerStatuses?: { state: { waiting?: { reason: string; message?: string } } }[] })?.containerStatuses?.[0]?.state.waiting;

describe('kubelet Events', () => {
  it('a pod that starts: Normal Pulled, Created, Started from kubelet on its node', async () => {
    const p = await createPod('ok', { containers: [{ name: 'c', image: 'busybox:1.36' }] });
    const evs = await eventually(async () => {
      const e = await eventsOf('ok');
      return e.some((x) => x.reason === 'Started') ? e : undefined;
    }, 15_000, 'the Started event');
    const byReason = Object.fromEntries(evs.map((e) => [e.reason as string, e]));
    expect(byReason.Pulled).toMatchObject({ type: 'Normal', message: 'Container image "busybox:1.36" already present on machine' });
    expect(byReason.Created).toMatchObject({ type: 'Normal', message: 'Created container: c' });
    expect(byReason.Started).toMatchObject({
      type: 'Normal',
      message: 'Started container c',
      source: { component: 'kubelet', host: NODE },
      reportingComponent: 'kubelet',
      reportingInstance: NODE,
      involvedObject: { kind: 'Pod', name: 'ok', namespace: NS, uid: p.metadata.uid },
    });
    await eventually(async () => ((await tk.kernel.get(PODS, NS, 'ok')).status as { phase?: string })?.phase === 'Running' || undefined, 10_000, 'Running');
  });

  it('a pod with a volume type the node does not support stays Pending: ContainerCreating with the reason, and a FailedMount Event', async () => {
    await createPod('nfs', { containers: [{ name: 'c', image: 'busybox:1.36' }], volumes: [{ name: 'data', nfs: { server: 'nfs.example', path: '/x' } }] });
    const message = 'MountVolume.SetUp failed for volume "data" : volume source nfs is not supported on this node';
    const p = await eventually(async () => {
      const x = await tk.kernel.get(PODS, NS, 'nfs');
      return waitingOf(x)?.message ? x : undefined;
    }, 15_000, 'a waiting message');
    expect((p.status as { phase: string }).phase).toBe('Pending');
    expect(waitingOf(p)).toEqual({ reason: 'ContainerCreating', message });
    const ev = await eventually(async () => (await eventsOf('nfs')).find((e) => e.reason === 'FailedMount'), 10_000, 'FailedMount');
    expect(ev).toMatchObject({ type: 'Warning', message, source: { component: 'kubelet', host: NODE } });
    // retried: the same Event counts up instead of piling up
    await eventually(async () => ((await eventsOf('nfs')).find((e) => e.reason === 'FailedMount')!.count as number) >= 2 || undefined, 15_000, 'a count');
    expect((await eventsOf('nfs')).filter((e) => e.reason === 'FailedMount')).toHaveLength(1);
  });

  it('a pod whose env names a missing ConfigMap: CreateContainerConfigError and Warning Failed', async () => {
    await createPod('cfg', { containers: [{ name: 'c', image: 'busybox:1.36', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k' } } }] }] });
    const p = await eventually(async () => {
      const x = await tk.kernel.get(PODS, NS, 'cfg');
      return waitingOf(x)?.reason === 'CreateContainerConfigError' ? x : undefined;
    }, 15_000, 'CreateContainerConfigError');
    expect(waitingOf(p)!.message).toBe('configmap "absent" not found');
    const ev = await eventually(async () => (await eventsOf('cfg')).find((e) => e.reason === 'Failed'), 10_000, 'Failed');
    expect(ev).toMatchObject({ type: 'Warning', message: 'Error: configmap "absent" not found' });
  });

  it('a deleted pod: Normal Killing "Stopping container c"', async () => {
    await eventually(async () => ((await tk.kernel.get(PODS, NS, 'ok')).status as { phase?: string })?.phase === 'Running' || undefined, 10_000, 'Running');
    await tk.kernel.delete(PODS, NS, 'ok');
    const ev = await eventually(async () => (await eventsOf('ok')).find((e) => e.reason === 'Killing'), 10_000, 'Killing');
    expect(ev).toMatchObject({ type: 'Normal', message: 'Stopping container c' });
  });

  it('a probe that fails: Warning Unhealthy "<Kind> probe failed: <output>" (counted up on every failure)', async () => {
    cri.onExecSync = (_c, cmd) => (cmd[0] === 'false' ? { exitCode: 1, stdout: 'not ready yet\n' } : { exitCode: 0 });
    await createPod('probe', { containers: [{ name: 'c', image: 'busybox:1.36', readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 } }] });
    const ev = await eventually(async () => {
      const e = (await eventsOf('probe')).find((x) => x.reason === 'Unhealthy');
      return e && (e.count as number) >= 2 ? e : undefined;
    }, 15_000, 'two Unhealthy');
    expect(ev).toMatchObject({ type: 'Warning', message: 'Readiness probe failed: not ready yet\n' });
  });
});
