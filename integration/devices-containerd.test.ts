// The device-plugin path into a real container: a node agent's plugins in a PluginHost of their own
// (containerd's CRI, the device manager, the kubelet) on a test kernel, and the sample device plugin
// over real unix sockets. A host-network pod asking for 2 widgets runs in containerd, and inside it
// (ExecSync) WIDGET_IDS holds the two device IDs the plugin allocated. Host network: no CNI, no
// nftables, nothing of the host's network touched. Fails, saying why, unless root and containerd
// answers (SKIFF_TESTS_WITHOUT=containerd skips it on purpose).
import 'reflect-metadata';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PluginHost, silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { POD_UID } from '@skiff/node-api';
import { CriClient, sandboxOomProblem } from '@skiff/plugin-cri-containerd';
import criContainerd from '@skiff/plugin-cri-containerd/plugin';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import deviceManager from '@skiff/plugin-device-manager/plugin';
import { SampleDevicePlugin } from '@skiff/plugin-device-manager/sample';
import kubelet from '@skiff/plugin-kubelet/plugin';
import { containerdAt, describeNeeding, excludedParts } from '../scripts/test-parts.ts';

const SOCKET = process.env.SKIFF_CRI_SOCKET ?? '/run/containerd/containerd.sock';
const NODE = `devices-ctr-${process.pid}`;
const NS = 'devices-ctr';
const R = 'example.com/widget';
const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

async function sandboxProblem(): Promise<string | null> {
  if (process.getuid?.() !== 0 || !existsSync(SOCKET.replace(/^unix:\/\//, '')) || excludedParts().has('containerd')) return null;
  const cri = new CriClient({ socket: SOCKET, timeoutMs: 3_000 });
  try {
    await cri.version();
    const problem = sandboxOomProblem(await cri.status(true));
    return problem ? `containerd cannot start sandboxes here: ${problem}` : null;
  } catch (e) {
    return `containerd at ${SOCKET} does not answer: ${(e as Error).message}`;
  } finally {
    cri.close();
  }
}
const cannotRunSandboxes = await sandboxProblem();

describeNeeding(['root', containerdAt(SOCKET), ['containerd', () => cannotRunSandboxes]], `device plugins into containerd at ${SOCKET}`, (missing) => {
  let tk: TestKernel;
  let host: PluginHost;
  let root: string;
  let plugin: SampleDevicePlugin;
  let cri: CriClient;
  let busybox: string;

  beforeAll(async () => {
    if (missing()) return;
    cri = new CriClient({ socket: SOCKET, timeoutMs: 30_000 });
    root = mkdtempSync(join(tmpdir(), 'skiff-devices-ctr-'));
    busybox = (await ensureTestImages(cri, join(root, 'images'))).busyboxImage;
    tk = await startTestKernel();
    for (const name of [NS, 'kube-node-lease']) await tk.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    host = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
    await host.load([
      { descriptor: criContainerd, config: { socket: SOCKET } },
      { descriptor: deviceManager, config: { rootDir: root, nodeName: NODE } },
      { descriptor: kubelet, config: { nodeName: NODE, nodeAddress: '127.0.0.1', rootDir: root, podLogRoot: join(root, 'logs'), relistMs: 200, statusUpdateSeconds: 1 } },
    ]);
    plugin = new SampleDevicePlugin({ resource: R, count: 4, dir: join(root, 'device-plugins'), watchMs: 500 });
    await plugin.start();
  }, 180_000);

  afterAll(async () => {
    if (tk) {
      // the pod goes through the kubelet (its containers and sandbox removed), then everything stops
      await tk.kernel.delete(PODS, NS, 'widgets', { gracePeriodSeconds: 0 }).catch(() => {});
      await eventually(async () => ((await cri.listPodSandbox({ labelSelector: { [POD_UID]: podUid } }).catch(() => [])).length === 0 ? true : undefined), 30_000, 'the pod removed').catch(() => {});
    }
    await plugin?.stop().catch(() => {});
    await host?.stopAll().catch(() => {});
    await tk?.stop();
    cri?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 90_000);

  let podUid = '';

  it('a host-network pod asking for 2 widgets runs with WIDGET_IDS set inside the container', async () => {
    await eventually(async () => ((await tk.kernel.get(NODES, undefined, NODE).catch(() => undefined))?.status as { allocatable?: Record<string, string> } | undefined)?.allocatable?.[R] === '4', 20_000, 'allocatable 4');
    const pod = await tk.kernel.create(PODS, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'widgets', namespace: NS },
      spec: {
        nodeName: NODE, hostNetwork: true, terminationGracePeriodSeconds: 0,
        containers: [{ name: 'app', image: busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'], resources: { limits: { [R]: '2' } } }],
      },
    });
    podUid = pod.metadata.uid!;
    await eventually(async () => ((await tk.kernel.get(PODS, NS, 'widgets')).status as { phase?: string } | undefined)?.phase === 'Running', 60_000, 'the pod Running');
    const [c] = await cri.listContainers({ labelSelector: { [POD_UID]: podUid } });
    const r = await cri.execSync(c.id, ['sh', '-c', 'echo "$WIDGET_IDS"'], 10);
    expect(r.exitCode).toBe(0);
    expect(Buffer.from(r.stdout).toString().trim()).toBe('widget-0,widget-1');
    expect(plugin.allocations).toEqual([['widget-0', 'widget-1']]);
  }, 90_000);
});
