// A hollow kubelet node (kubemark's kind): the real kubelet plugin on node-sim's CRI runtime, in one
// plugin host, as `skiff agent` composes a node — node IPAM beside it gives the Node its pod CIDR.
// No containerd: the kubelet registers its Node, tells the runtime the pod CIDR and turns Ready,
// runs a pod (an address of the Node's pod CIDR), restarts a container that crashed after the
// back-off, and tears a deleted pod down. The kubelet knows only the CRI contract (@skiff/node-api);
// which runtime it gets is the distribution's choice.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { ConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { CriRuntimeToken, POD_UID } from '@skiff/node-api';
import type { FakeRuntime } from '@skiff/node-api/testing';
import kubelet from '@skiff/plugin-kubelet/plugin';
import nodeIpam from '@skiff/plugin-node-ipam/plugin';
import nodeSim from '@skiff/plugin-node-sim/plugin';

const NODE = 'hollow-kubelet-0';
const NS = 'hk';
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

let tk: TestKernel;
let host: PluginHost;
let root: string;
let cri: FakeRuntime;

beforeAll(async () => {
  tk = await startTestKernel();
  root = mkdtempSync(join(tmpdir(), 'skiff-hollow-kubelet-'));
  for (const name of [NS, 'kube-node-lease']) await tk.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  host = new PluginHost({ kernel: tk.kernel, logger: new ConsoleLogger({ level: 'warn' }) });
  await host.load([
    { descriptor: nodeIpam, config: { clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24, leaderElection: false } },
    // the runtime's network waits for the pod CIDR, as containerd's waits for the CNI config
    { descriptor: nodeSim, config: { nodes: 0, runtime: { waitForPodCIDR: true, latencyMs: { runPodSandbox: 30, pullImage: 50, createContainer: 5, startContainer: 5 } } } },
    {
      descriptor: kubelet,
      config: {
        nodeName: NODE, nodeAddress: '192.0.2.80', rootDir: root, podLogRoot: join(root, 'logs'),
        relistMs: 100, resyncSeconds: 2, backoffInitialSeconds: 0.3, leaseRenewSeconds: 1, statusUpdateSeconds: 1,
      },
    },
  ]);
  cri = host.resolve(CriRuntimeToken) as FakeRuntime;
}, 60_000);

afterAll(async () => {
  await host?.stopAll();
  await tk?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

type PodStatus = { phase?: string; podIP?: string; containerStatuses?: Record<string, any>[] };
const podStatus = async (name: string) => ((await tk.kernel.get(PODS, NS, name)).status ?? {}) as PodStatus;

describe('a hollow kubelet node (kubelet plugin + node-sim CRI runtime)', () => {
  let pod: KObject;

  it('registers its Node, which turns Ready once the runtime has the pod CIDR node IPAM gave it', async () => {
    const node = await eventually(async () => {
      const n = await tk.kernel.get(NODES, undefined, NODE).catch(() => undefined);
      const ready = (n?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' ? n : undefined;
    }, 20_000, 'the Node Ready');
    const podCIDR = (node.spec as { podCIDR: string }).podCIDR;
    expect(podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);
    expect(cri.network).toMatchObject({ podCIDR, ready: true });
    expect((node.status as { nodeInfo: { containerRuntimeVersion: string } }).nodeInfo.containerRuntimeVersion).toBe('hollow://0.1.0');
  });

  it('runs a pod: Running and ready, its address from the Node\'s pod CIDR, hollow:// container ids', async () => {
    pod = await tk.kernel.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: NS }, spec: { nodeName: NODE, containers: [{ name: 'app', image: 'registry.local/web:1' }] } });
    const st = await eventually(async () => {
      const s = await podStatus('web');
      return s.phase === 'Running' && s.containerStatuses?.[0]?.ready ? s : undefined;
    }, 20_000, 'web Running');
    const podCIDR = ((await tk.kernel.get(NODES, undefined, NODE)).spec as { podCIDR: string }).podCIDR;
    expect(st.podIP!.split('.').slice(0, 3).join('.')).toBe(podCIDR.split('.').slice(0, 3).join('.'));
    expect(st.containerStatuses![0].containerID).toMatch(/^hollow:\/\/[0-9a-f]{64}$/);
  });

  it('a container that crashes is restarted after the back-off', async () => {
    const [c] = cri.listContainersNow().filter((x) => x.labels[POD_UID] === pod.metadata.uid && x.state === 'CONTAINER_RUNNING');
    cri.exit(c.id, 1);
    const s = await eventually(async () => {
      const x = (await podStatus('web')).containerStatuses?.[0];
      return x?.restartCount === 1 && x.state.running ? x : undefined;
    }, 20_000, 'restartCount 1, running again');
    expect(s.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error', containerID: `hollow://${c.id}` });
  });

  it('a deleted pod is torn down: no sandbox or container left in the runtime, the object gone', async () => {
    await tk.kernel.delete(PODS, NS, 'web');
    await eventually(async () => (await tk.kernel.get(PODS, NS, 'web').then(() => false, () => true)) || undefined, 20_000, 'web gone');
    expect(cri.listSandboxesNow().filter((s) => s.labels[POD_UID] === pod.metadata.uid)).toEqual([]);
    expect(cri.listContainersNow().filter((x) => x.labels[POD_UID] === pod.metadata.uid)).toEqual([]);
    expect(cri.network.addressesInUse).toBe(0);
  });
});
