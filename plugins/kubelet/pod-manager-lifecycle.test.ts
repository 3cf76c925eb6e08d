// A pod's whole life under the kubelet's PodManager, with no containerd: a real kernel, the real
// PodConfigurer, and the in-memory runtime of @skiff/node-api/testing (the one hollow nodes run on).
// A pod starts (sandbox, address from the pod CIDR, container, Running); a container that crashes is
// restarted after the crash-loop back-off, which doubles with every crash; a deleted pod's
// containers are stopped and removed with its sandbox, its address freed, and the pod object goes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { POD_UID } from '@skiff/node-api';
import { FakeRuntime } from '@skiff/node-api/testing';
import { createPodConfigurer } from './pod-configurer-impl.ts';
import { PodManager } from './pod-manager.ts';

const NODE = 'life-node';
const NS = 'life';
const PODS = { group: '', version: 'v1', resource: 'pods' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };
const BACKOFF_MS = 400;
const RUNS_MS = 150;

let tk: TestKernel;
let root: string;
let cri: FakeRuntime;
let pods: PodManager;
/** when each attempt of the `crash` container started (ms) */
const crashStarts: number[] = [];

beforeAll(async () => {
  tk = await startTestKernel();
  root = mkdtempSync(join(tmpdir(), 'skiff-pm-life-'));
  await tk.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  cri = new FakeRuntime({
    podCIDR: '10.244.5.0/24',
    // some latency on the calls a pod start makes, as a runtime has
    latencyMs: { runPodSandbox: 20, createContainer: 5, startContainer: 5 },
    behaviour: (c) => {
      if (c.metadata.name !== 'crash') return undefined;
      crashStarts.push(Date.now());
      return { exitAfterMs: RUNS_MS, exitCode: 2 };
    },
  });
  const config = createPodConfigurer({ kernel: tk.kernel, cri, rootDir: root, podLogRoot: join(root, 'logs'), nodeName: NODE, clusterDNS: [], clusterDomain: 'cluster.local' });
  pods = new PodManager(tk.kernel, cri, config, { nodeName: NODE, hostIP: '192.0.2.1', relistMs: 50, resyncMs: 5_000, backoffInitialMs: BACKOFF_MS }, silentLogger);
  await pods.start();
});
afterAll(async () => {
  await pods?.stop();
  cri?.close();
  await tk?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

type Status = { phase?: string; podIP?: string; hostIP?: string; containerStatuses?: Record<string, any>[] };
const statusOf = async (name: string) => ((await tk.kernel.get(PODS, NS, name)).status ?? {}) as Status;
const createPod = (name: string, containers: Record<string, unknown>[]) =>
  tk.kernel.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { nodeName: NODE, containers } });
const ofPod = (p: KObject) => ({
  sandboxes: cri.listSandboxesNow().filter((s) => s.labels[POD_UID] === p.metadata.uid),
  containers: cri.listContainersNow().filter((c) => c.labels[POD_UID] === p.metadata.uid),
});

describe('PodManager on the fake runtime', () => {
  let web: KObject;

  it('starts a pod: Running, ready, with an address of the pod CIDR and the runtime\'s container ids', async () => {
    web = await createPod('web', [{ name: 'app', image: 'nginx:1.27' }]);
    const st = await eventually(async () => {
      const s = await statusOf('web');
      return s.phase === 'Running' && s.containerStatuses?.[0]?.ready ? s : undefined;
    }, 10_000, 'web Running and ready');
    expect(st.podIP).toMatch(/^10\.244\.5\.\d+$/);
    expect(st.hostIP).toBe('192.0.2.1');
    const [c] = ofPod(web).containers;
    expect(st.containerStatuses![0]).toMatchObject({ name: 'app', restartCount: 0, containerID: `fake://${c.id}`, imageID: c.imageRef, state: { running: {} } });
    const [sb] = ofPod(web).sandboxes;
    expect((await cri.podSandboxStatus(sb.id)).status!.network!.ip).toBe(st.podIP);
    expect(cri.calls).toContain('pullImage'); // nginx:1.27 was not there: pulled
  });

  it('restarts a crashing container after the back-off, which doubles with every crash: CrashLoopBackOff between', async () => {
    await createPod('crashy', [{ name: 'crash', image: 'busybox:1.36' }]);
    const backoff = await eventually(async () => {
      const s = (await statusOf('crashy')).containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    }, 10_000, 'CrashLoopBackOff');
    expect(backoff.state.waiting.message).toMatch(/^back-off \d+ms restarting failed container=crash pod=crashy_life\(/);
    expect(backoff.lastState.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    const s = await eventually(async () => {
      const x = (await statusOf('crashy')).containerStatuses?.[0];
      return x && x.restartCount >= 2 ? x : undefined;
    }, 15_000, 'two restarts');
    expect(s.lastState.terminated).toMatchObject({ exitCode: 2 });
    // each restart waited its step of the back-off after the crash before it (10 ms of timer slack)
    expect(crashStarts.length).toBeGreaterThanOrEqual(3);
    const gap = (i: number) => crashStarts[i] - (crashStarts[i - 1] + RUNS_MS);
    expect(gap(1)).toBeGreaterThanOrEqual(BACKOFF_MS - 10);
    expect(gap(2)).toBeGreaterThanOrEqual(2 * BACKOFF_MS - 10);
    const events = (await tk.kernel.list(EVENTS, { namespace: NS })).items.filter((e) => (e.involvedObject as { name: string }).name === 'crashy');
    expect(events.find((e) => e.reason === 'BackOff')).toMatchObject({ type: 'Warning', message: expect.stringContaining('Back-off restarting failed container crash') });
    expect(events.find((e) => e.reason === 'Started')!.count).toBeGreaterThanOrEqual(3);
    // dead attempts beyond the last two are cleaned up
    const attempts = ofPod(await tk.kernel.get(PODS, NS, 'crashy')).containers;
    expect(attempts.filter((c) => c.state === 'CONTAINER_EXITED').length).toBeLessThanOrEqual(2);
  });

  it('deletes a pod: its containers stopped (Killing) and removed, its sandbox removed and address freed, the object gone', async () => {
    const inUse = cri.network.addressesInUse;
    expect(ofPod(web).containers).toHaveLength(1);
    await tk.kernel.delete(PODS, NS, 'web');
    await eventually(async () => (await tk.kernel.get(PODS, NS, 'web').then(() => false, () => true)) || undefined, 10_000, 'web gone from the API');
    expect(ofPod(web)).toEqual({ sandboxes: [], containers: [] });
    expect(cri.network.addressesInUse).toBe(inUse - 1);
    const killing = (await tk.kernel.list(EVENTS, { namespace: NS })).items.find((e) => (e.involvedObject as { name: string }).name === 'web' && e.reason === 'Killing');
    expect(killing).toMatchObject({ type: 'Normal', message: 'Stopping container app' });
    expect(cri.calls).toContain('stopContainer');
  });
});
