// Device plugins end to end on one node without containerd: a real kernel with the scheduler and its
// default policies, and a node agent's plugins in a PluginHost of its own — the in-memory CRI runtime
// of @skiff/node-api/testing, the device manager (skiff.io/device) and the kubelet — with the sample
// device plugin registering over real unix sockets. The Node's allocatable shows the plugin's
// devices; two pods asking for 2 widgets each run with 4 distinct IDs in WIDGET_IDS (read from the
// CRI container configs the kubelet sent); a third is Unschedulable (Insufficient example.com/widget);
// a pod bound to the node past the scheduler fails admission (UnexpectedAdmissionError); killing the
// plugin takes allocatable to 0; restarting the agent's plugins keeps the running pods' devices.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, PluginHost, silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { CriRuntimeToken, POD_UID, type CallOptions, type ContainerConfig, type Input, type PodSandboxConfig } from '@skiff/node-api';
import { FakeRuntime } from '@skiff/node-api/testing';
import deviceManager from '@skiff/plugin-device-manager/plugin';
import { SampleDevicePlugin } from '@skiff/plugin-device-manager/sample';
import kubelet from '@skiff/plugin-kubelet/plugin';
import schedulerPlugin from '@skiff/plugin-scheduler';
import { defaultPolicyPlugins } from '@skiff/scheduler-policies';

const NODE = 'widget-node';
const NS = 'dev';
const R = 'example.com/widget';
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

/** The fake runtime, keeping the config of every container created (what the kubelet asked for). */
class RecordingRuntime extends FakeRuntime {
  readonly configs = new Map<string, Input<ContainerConfig>>();
  override async createContainer(sandboxId: string, config: Input<ContainerConfig>, sandbox: Input<PodSandboxConfig>, opts?: CallOptions): Promise<string> {
    const id = await super.createContainer(sandboxId, config, sandbox, opts);
    this.configs.set(id, config);
    return id;
  }
}

const cri = new RecordingRuntime({ podCIDR: '10.244.9.0/24', runtimeName: 'fake' });
/** the agent's CRI plugin: the same runtime across agent restarts (as containerd outlives the agent) */
const fakeCri = definePlugin<Record<string, never>>({
  name: 'fake-cri', version: '0.1.0', type: 'skiff.io/cri', provides: [CriRuntimeToken], configSchema: { type: 'object' },
  async start(ctx) {
    ctx.provide(CriRuntimeToken, cri);
    return { stop: async () => {} };
  },
});

let tk: TestKernel;
let control: PluginHost;
let agent: PluginHost;
let root: string;
let plugin: SampleDevicePlugin;

const startAgent = async () => {
  const h = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
  await h.load([
    { descriptor: fakeCri, config: {} },
    { descriptor: deviceManager, config: { rootDir: root, nodeName: NODE, gracePeriodSeconds: 60 } },
    {
      descriptor: kubelet,
      config: { nodeName: NODE, nodeAddress: '192.0.2.90', rootDir: root, podLogRoot: join(root, 'logs'), relistMs: 100, resyncSeconds: 2, leaseRenewSeconds: 1, statusUpdateSeconds: 1 },
    },
  ]);
  return h;
};

beforeAll(async () => {
  tk = await startTestKernel();
  root = mkdtempSync(join(tmpdir(), 'skiff-devices-'));
  for (const name of [NS, 'kube-node-lease']) await tk.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  control = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
  await control.load([{ descriptor: schedulerPlugin, config: { leaderElection: false } }, ...Object.values(defaultPolicyPlugins)]);
  agent = await startAgent();
  plugin = new SampleDevicePlugin({ resource: R, count: 4, dir: join(root, 'device-plugins'), watchMs: 200 });
  await plugin.start();
}, 60_000);

afterAll(async () => {
  await plugin?.stop().catch(() => {});
  await agent?.stopAll();
  await control?.stopAll();
  cri.close();
  await tk?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

type Status = { phase?: string; reason?: string; message?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
const nodeResources = async () => {
  const s = (await tk.kernel.get(NODES, undefined, NODE)).status as { capacity: Record<string, string>; allocatable: Record<string, string> };
  return { capacity: s.capacity[R], allocatable: s.allocatable[R] };
};
const statusOf = async (name: string) => ((await tk.kernel.get(PODS, NS, name)).status ?? {}) as Status;
const widgetPod = (name: string, count: number, nodeName?: string) =>
  tk.kernel.create(PODS, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'app', image: 'registry.local/app:1', resources: { limits: { [R]: String(count) } } }] },
  });
/** WIDGET_IDS of the pod's app container, as the kubelet configured it in the runtime */
const widgetIds = (uid: string) => {
  const c = cri.listContainersNow().find((x) => x.labels[POD_UID] === uid);
  return c && cri.configs.get(c.id)?.envs?.find((e) => e?.key === 'WIDGET_IDS')?.value;
};

describe('device plugins on a node (kubelet + device manager + sample plugin + scheduler)', () => {
  const uids: string[] = [];

  it('the Node\'s capacity and allocatable show example.com/widget: 4', async () => {
    await eventually(async () => (await nodeResources().catch(() => undefined))?.allocatable === '4', 15_000, 'allocatable 4');
    expect(await nodeResources()).toEqual({ capacity: '4', allocatable: '4' });
  });

  it('two pods asking for 2 each are scheduled and run with 4 distinct device IDs in WIDGET_IDS', async () => {
    for (const name of ['w1', 'w2']) uids.push((await widgetPod(name, 2)).metadata.uid!);
    for (const name of ['w1', 'w2']) await eventually(async () => (await statusOf(name)).phase === 'Running', 15_000, `${name} Running`);
    const ids = uids.map((u) => widgetIds(u)!);
    expect(ids.every((s) => s?.split(',').length === 2)).toBe(true);
    expect(new Set(ids.flatMap((s) => s.split(','))).size).toBe(4);
  });

  it('a third pod is Unschedulable: Insufficient example.com/widget', async () => {
    await widgetPod('w3', 1);
    const cond = await eventually(async () => (await statusOf('w3')).conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'), 15_000, 'w3 unschedulable');
    expect(cond.reason).toBe('Unschedulable');
    expect(cond.message).toContain(`Insufficient ${R}`);
  });

  it('a pod bound to the node past the scheduler fails admission with UnexpectedAdmissionError', async () => {
    await widgetPod('w4', 1, NODE);
    const st = await eventually(async () => ((await statusOf('w4')).phase === 'Failed' ? statusOf('w4') : undefined), 15_000, 'w4 Failed');
    expect(st.reason).toBe('UnexpectedAdmissionError');
    expect(st.message).toBe(`Pod was rejected: Allocate failed due to requested number of devices unavailable for ${R}. Requested: 1, Available: 0, which is unexpected`);
    await tk.kernel.delete(PODS, NS, 'w4', { gracePeriodSeconds: 0 });
  });

  it('restarting the agent keeps the running pods\' devices', async () => {
    const before = uids.map(widgetIds);
    await agent.stopAll();
    agent = await startAgent();
    // the sample sees its socket cleared and kubelet.sock recreated: it registers again
    await eventually(async () => (await nodeResources()).allocatable === '4' && plugin.registrations >= 2, 15_000, 'registered again');
    for (const name of ['w1', 'w2']) expect((await statusOf(name)).phase).toBe('Running');
    // still in use: nothing is free for a new pod
    await widgetPod('w5', 1, NODE);
    const st = await eventually(async () => ((await statusOf('w5')).phase === 'Failed' ? statusOf('w5') : undefined), 15_000, 'w5 Failed');
    expect(st.reason).toBe('UnexpectedAdmissionError');
    expect(uids.map(widgetIds)).toEqual(before);
    await tk.kernel.delete(PODS, NS, 'w5', { gracePeriodSeconds: 0 });
  });

  it('a deleted pod gives its devices back; killing the plugin takes allocatable to 0 at once', async () => {
    await tk.kernel.delete(PODS, NS, 'w1');
    // w3 was waiting for devices: now it is scheduled and runs with w1's
    await eventually(async () => (await statusOf('w3')).phase === 'Running', 20_000, 'w3 Running');
    await plugin.stop();
    await eventually(async () => (await nodeResources()).allocatable === '0', 5_000, 'allocatable 0');
    expect((await nodeResources()).capacity).toBe('4');
    expect((await statusOf('w2')).phase).toBe('Running');
  });

  it('a pod deleted while the agent was down, its containers gone too (a reboot), gives its devices back when the agent starts', async () => {
    plugin = new SampleDevicePlugin({ resource: R, count: 4, dir: join(root, 'device-plugins'), watchMs: 200 });
    await plugin.start();
    await eventually(async () => (await nodeResources()).allocatable === '4', 10_000, 'allocatable 4');
    await agent.stopAll();
    const w2 = await tk.kernel.get(PODS, NS, 'w2');
    await tk.kernel.delete(PODS, NS, 'w2', { gracePeriodSeconds: 0 });
    for (const s of cri.listSandboxesNow().filter((x) => x.labels[POD_UID] === w2.metadata.uid)) {
      await cri.stopPodSandbox(s.id);
      for (const c of cri.listContainersNow().filter((x) => x.podSandboxId === s.id)) await cri.removeContainer(c.id);
      await cri.removePodSandbox(s.id);
    }
    const registered = plugin.registrations;
    agent = await startAgent();
    // (a pod admitted before the plugin is back would find no devices, as on a kubelet)
    await eventually(async () => plugin.registrations > registered && (await nodeResources()).allocatable === '4', 10_000, 'the plugin registered again');
    await widgetPod('w6', 2, NODE);
    await eventually(async () => (await statusOf('w6')).phase === 'Running', 15_000, 'w6 Running with w2\'s devices');
    expect(widgetIds((await tk.kernel.get(PODS, NS, 'w6')).metadata.uid!)?.split(',')).toHaveLength(2);
  });
});
