// What the kubelet asks of the runtime per pod start (a PodManager on a real kernel, the in-memory
// CRI (FakeRuntime of @skiff/node-api/testing) counting calls, relist out of the way): the sandbox, its IP, the containers,
// one ContainerStatus for what it started — no list of the pod's sandboxes and containers again,
// and one ImageStatus for a burst of pods on the same image.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { FakeRuntime } from '@skiff/node-api/testing';
import { createPodConfigurer } from './pod-configurer-impl.ts';
import { PodManager } from './pod-manager.ts';

const NODE = 'calls-node';
const PODS = { group: '', version: 'v1', resource: 'pods' };
let tk: TestKernel;
let root: string;
let cri: FakeRuntime;
let pods: PodManager;
/** every call the kubelet makes, by method */
const calls: string[] = [];

beforeAll(async () => {
  tk = await startTestKernel();
  root = mkdtempSync(join(tmpdir(), 'skiff-pm-calls-'));
  cri = new FakeRuntime({ images: { 'busybox:1.36': 1 } });
  const counted = new Proxy(cri, {
    get: (t, k) => {
      const v = t[k as keyof typeof t];
      return typeof v === 'function' ? (...a: unknown[]) => (calls.push(String(k)), (v as (...x: unknown[]) => unknown).apply(t, a)) : v;
    },
  });
  const config = createPodConfigurer({ kernel: tk.kernel, cri: counted, rootDir: root, podLogRoot: join(root, 'logs'), nodeName: NODE, clusterDNS: [], clusterDomain: 'cluster.local' });
  pods = new PodManager(tk.kernel, counted, config, { nodeName: NODE, hostIP: '192.0.2.1', relistMs: 600_000, resyncMs: 600_000, backoffInitialMs: 10_000 }, silentLogger);
  await pods.start();
});
afterAll(async () => {
  await pods?.stop();
  await tk?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

it('three pods started at once: per pod sandbox, its status (IP), create, start and one ContainerStatus; one ImageStatus for all; no lists', async () => {
  const before = calls.length;
  const names = ['a', 'b', 'c'];
  await Promise.all(names.map((name) => tk.kernel.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' }] } })));
  for (const name of names) await eventually(async () => ((await tk.kernel.get(PODS, 'default', name)).status as { phase?: string })?.phase === 'Running' || undefined, 10_000, `${name} Running`);
  const made = calls.slice(before);
  const count = (m: string) => made.filter((c) => c === m).length;
  expect({
    runPodSandbox: count('runPodSandbox'),
    podSandboxStatus: count('podSandboxStatus'),
    createContainer: count('createContainer'),
    startContainer: count('startContainer'),
    containerStatus: count('containerStatus'),
    imageStatus: count('imageStatus'),
    lists: count('listPodSandbox') + count('listContainers'),
  }).toEqual({ runPodSandbox: 3, podSandboxStatus: 3, createContainer: 3, startContainer: 3, containerStatus: 3, imageStatus: 1, lists: 0 });
});
