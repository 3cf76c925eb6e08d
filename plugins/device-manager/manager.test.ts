// The device manager over real unix sockets with the sample device plugin (both ends speak the
// device-plugin gRPC API through @grpc/grpc-js): registration, capacity and health from
// ListAndWatch, allocation of distinct devices with the plugin's answer in CRI shapes, the
// checkpoint across a restart of the manager, a plugin that goes, and refused registrations
// (a gRPC error to the plugin, a Warning Event on the Node in a real kernel).
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { devices } from '@skiff/node-api';
import { NodeDeviceManager, REASON_REGISTRATION_FAILED } from './manager.ts';
import { SampleDevicePlugin } from './sample-plugin.ts';

const R = 'example.com/widget';
const NODE = 'dev-node';
const EVENTS = { group: '', version: 'v1', resource: 'events' };
let tk: TestKernel;
let dir: string;
let manager: NodeDeviceManager;
let plugin: SampleDevicePlugin;
const managers: NodeDeviceManager[] = [];
const plugins: SampleDevicePlugin[] = [];

const newManager = async (graceMs: number) => {
  const m = new NodeDeviceManager({ dir, nodeName: NODE, kernel: tk.kernel, logger: silentLogger, gracePeriodMs: graceMs, socketCheckMs: 100, callTimeoutMs: 3_000 });
  managers.push(m);
  await m.start();
  return m;
};
const newPlugin = async (o: Partial<ConstructorParameters<typeof SampleDevicePlugin>[0]> = {}) => {
  const p = new SampleDevicePlugin({ resource: R, count: 4, dir, watchMs: 100, ...o });
  plugins.push(p);
  await p.start();
  return p;
};
const widget = (m: NodeDeviceManager) => m.resources().find((r) => r.name === R);
const ref = (pod: string, container = 'c'): devices.ContainerRef => ({ podUid: `uid-${pod}`, podNamespace: 'ns', podName: pod, container });
const env = (a: devices.DeviceAllocation, key: string) => a.envs.find((e) => e.key === key)?.value;

beforeAll(async () => {
  tk = await startTestKernel();
  dir = mkdtempSync(join(tmpdir(), 'skiff-dm-'));
  manager = await newManager(1_500);
});
afterAll(async () => {
  for (const p of plugins) await p.stop().catch(() => {});
  for (const m of managers) await m.stop().catch(() => {});
  await tk?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('device manager with the sample plugin', () => {
  it('serves kubelet.sock; the sample registers and its 4 devices are the capacity and allocatable', async () => {
    expect(existsSync(join(dir, 'kubelet.sock'))).toBe(true);
    let changes = 0;
    manager.onChange(() => changes++);
    plugin = await newPlugin();
    expect(plugin.registrations).toBe(1);
    const r = await eventually(() => (widget(manager)?.allocatable === 4 ? widget(manager) : undefined), 5_000, 'widget allocatable 4');
    expect(r).toEqual({ name: R, capacity: 4, allocatable: 4, connected: true });
    expect(changes).toBeGreaterThan(0);
  });

  it('allocates distinct devices to two containers, with WIDGET_IDS and the annotation; the same container gets the same answer again', async () => {
    const a = await manager.allocate(ref('p1'), { [R]: 2, cpu: 1 });
    const b = await manager.allocate(ref('p2'), { [R]: 2 });
    expect(a.deviceIds[R]).toHaveLength(2);
    expect(b.deviceIds[R]).toHaveLength(2);
    const all = [...a.deviceIds[R], ...b.deviceIds[R]];
    expect(new Set(all).size).toBe(4);
    // the sample prefers the lowest-numbered devices (GetPreferredAllocation, asked once per allocation)
    expect(plugin.preferredCalls).toBe(2);
    expect(a.deviceIds[R]).toEqual(['widget-0', 'widget-1']);
    expect(env(a, 'WIDGET_IDS')).toBe('widget-0,widget-1');
    expect(env(b, 'WIDGET_IDS')).toBe('widget-2,widget-3');
    expect(a.annotations['example.com/widget-ids']).toBe('widget-0,widget-1');
    const calls = plugin.allocations.length;
    const again = await manager.allocate(ref('p1'), { [R]: 2 });
    expect(again).toEqual(a);
    expect(plugin.allocations.length).toBe(calls);
    // the resource a container does not ask for (or that no plugin serves) gets nothing
    expect(await manager.allocate(ref('p3'), { 'other.example.com/thing': 1 })).toEqual({ deviceIds: {}, envs: [], mounts: [], devices: [], annotations: {} });
  });

  it('refuses what the node lacks with UnexpectedAdmissionError, as kubelet admission does', async () => {
    const e = await manager.allocate(ref('p3'), { [R]: 1 }).catch((x) => x);
    expect(devices.deviceAllocationReason(e)).toBe('UnexpectedAdmissionError');
    expect(e.message).toBe(`Allocate failed due to requested number of devices unavailable for ${R}. Requested: 1, Available: 0, which is unexpected`);
  });

  it('an unhealthy device leaves allocatable, not capacity; released devices are free again', async () => {
    plugin.setHealth('widget-3', 'Unhealthy');
    await eventually(() => widget(manager)?.allocatable === 3, 5_000, 'allocatable 3');
    expect(widget(manager)?.capacity).toBe(4);
    await manager.release('uid-p1');
    expect(manager.inUse()[R]).toEqual(['widget-2', 'widget-3']);
    const c = await manager.allocate(ref('p4'), { [R]: 2 });
    expect(c.deviceIds[R]).toEqual(['widget-0', 'widget-1']);
    await manager.release('uid-p4');
    // widget-3 is unhealthy and widget-2 in use: only 2 are free
    const e = await manager.allocate(ref('p5'), { [R]: 3 }).catch((x) => x);
    expect(e.message).toContain('Requested: 3, Available: 2');
    plugin.setHealth('widget-3', 'Healthy');
    await eventually(() => widget(manager)?.allocatable === 4, 5_000, 'allocatable 4 again');
  });

  it('a plugin that goes has its devices withdrawn (allocatable 0, capacity for the grace period); running containers keep theirs', async () => {
    await plugin.stop();
    await eventually(() => widget(manager)?.allocatable === 0, 5_000, 'allocatable 0');
    expect(widget(manager)).toMatchObject({ capacity: 4, connected: false });
    expect(manager.inUse()[R]).toEqual(['widget-2', 'widget-3']);
    const e = await manager.allocate(ref('p6'), { [R]: 1 }).catch((x) => x);
    expect(devices.deviceAllocationReason(e)).toBe('UnexpectedAdmissionError');
    // the grace period (1.5 s here) over: no capacity either
    await eventually(() => widget(manager)?.capacity === 0, 5_000, 'capacity 0 after the grace period');
  });

  it('a restarted manager keeps the checkpointed allocations; the plugin registers again and the free devices are the others', async () => {
    plugin = await newPlugin();
    await eventually(() => widget(manager)?.allocatable === 4, 5_000, 'allocatable 4');
    await manager.stop();
    manager = await newManager(60_000);
    // before the plugin is back: the capacity of before, nothing allocatable, p2's devices kept
    expect(widget(manager)).toEqual({ name: R, capacity: 4, allocatable: 0, connected: false });
    const calls = plugin.allocations.length;
    const b = await manager.allocate(ref('p2'), { [R]: 2 });
    expect(env(b, 'WIDGET_IDS')).toBe('widget-2,widget-3');
    expect(plugin.allocations.length).toBe(calls);
    // the manager cleared the stale plugin socket and recreated kubelet.sock: the sample registers again
    await eventually(() => (plugin.registrations >= 2 ? true : undefined), 5_000, 'the sample registered again');
    await eventually(() => widget(manager)?.allocatable === 4, 5_000, 'allocatable 4 after the re-registration');
    const c = await manager.allocate(ref('p7'), { [R]: 2 });
    expect(c.deviceIds[R]).toEqual(['widget-0', 'widget-1']);
  });

  it('kubelet.sock removed: served again, and the plugin registers again', async () => {
    const before = plugin.registrations;
    unlinkSync(join(dir, 'kubelet.sock'));
    await eventually(() => existsSync(join(dir, 'kubelet.sock')), 5_000, 'kubelet.sock recreated');
    await eventually(() => (plugin.registrations > before ? true : undefined), 5_000, 'the sample registered again');
    await eventually(() => widget(manager)?.connected === true, 5_000, 'connected');
  });

  it('a plugin whose socket file goes is withdrawn, its stream open or not', async () => {
    const dongle = await newPlugin({ resource: 'example.com/dongle', count: 1, watchMs: 60_000 });
    const dongles = () => manager.resources().find((r) => r.name === 'example.com/dongle');
    await eventually(() => dongles()?.allocatable === 1, 5_000, 'a dongle');
    unlinkSync(dongle.socketPath);
    await eventually(() => dongles()?.connected === false, 5_000, 'the dongle plugin withdrawn');
    expect(dongles()).toMatchObject({ capacity: 1, allocatable: 0 });
    await dongle.stop();
  });

  it('refuses an unsupported version and an invalid resource name: a gRPC error to the plugin, a Warning Event on the Node', async () => {
    const badVersion = new SampleDevicePlugin({ resource: 'example.com/gadget', count: 1, dir, version: 'v1alpha', watchMs: 60_000 });
    plugins.push(badVersion);
    const e1 = await badVersion.start().catch((x) => x);
    expect(e1.code).toBe(3); // INVALID_ARGUMENT
    expect(e1.details).toBe('requested API version "v1alpha" is not supported by kubelet. Supported versions are ["v1beta1"]');
    const badName = new SampleDevicePlugin({ resource: 'kubernetes.io/gadget', count: 1, dir, watchMs: 60_000, endpoint: 'gadget.sock' });
    plugins.push(badName);
    const e2 = await badName.start().catch((x) => x);
    expect(e2.details).toBe('the ResourceName "kubernetes.io/gadget" is invalid');
    expect(manager.resources().map((r) => r.name)).not.toContain('kubernetes.io/gadget');
    expect(manager.resources().map((r) => r.name)).not.toContain('example.com/gadget');
    const events = await eventually(async () => {
      const list = (await tk.kernel.list(EVENTS, { namespace: 'default' })).items.filter((e) => (e as any).reason === REASON_REGISTRATION_FAILED);
      return list.length >= 2 ? list : undefined;
    }, 5_000, 'two Warning events');
    expect(events.map((e: any) => [e.type, e.involvedObject.kind, e.involvedObject.name])).toEqual([['Warning', 'Node', NODE], ['Warning', 'Node', NODE]]);
    expect(events.map((e: any) => e.message).join('\n')).toContain('the ResourceName "kubernetes.io/gadget" is invalid');
  });

  it('PreStartContainer, when the plugin asks for it, runs at container creation (not at the first allocation, the admission)', async () => {
    const gizmo = await newPlugin({ resource: 'example.com/gizmo', count: 2, preStart: true, preferredAllocation: false });
    await eventually(() => manager.resources().find((r) => r.name === 'example.com/gizmo')?.allocatable === 2, 5_000, 'gizmos');
    const first = await manager.allocate(ref('g1'), { 'example.com/gizmo': 1 });
    expect(gizmo.preStarts).toEqual([]);
    expect(await manager.allocate(ref('g1'), { 'example.com/gizmo': 1 })).toEqual(first);
    expect(gizmo.preStarts).toEqual([first.deviceIds['example.com/gizmo']]);
    // it does not offer GetPreferredAllocation: not asked
    expect(gizmo.preferredCalls).toBe(0);
    await manager.release('uid-g1');
  });

  it('a plugin registering again replaces the old endpoint', async () => {
    const before = plugin.allocations.length;
    const replacement = await newPlugin({ count: 6, endpoint: 'widget-v2.sock' });
    await eventually(() => (widget(manager)?.capacity === 6 ? true : undefined), 5_000, 'capacity 6 from the new plugin');
    const d = await manager.allocate(ref('p8'), { [R]: 1 });
    expect(d.deviceIds[R]).toEqual(['widget-4']);
    expect(replacement.allocations).toEqual([['widget-4']]);
    expect(plugin.allocations.length).toBe(before);
  });
});

describe('init containers', () => {
  it('pass their devices on to the containers after them (the pod asks for max(init, sum(app)))', async () => {
    // six widgets (the replacement plugin); p2, p7 and p8 hold five of them
    expect(manager.inUse()[R]).toEqual(['widget-0', 'widget-1', 'widget-2', 'widget-3', 'widget-4']);
    const init = await manager.allocate({ ...ref('pi', 'setup'), init: true }, { [R]: 1 });
    expect(init.deviceIds[R]).toEqual(['widget-5']);
    const app = await manager.allocate(ref('pi', 'app'), { [R]: 1 });
    expect(app.deviceIds[R]).toEqual(['widget-5']);
    // passed on once: a second app container finds none
    const e = await manager.allocate(ref('pi', 'other'), { [R]: 1 }).catch((x) => x);
    expect(devices.deviceAllocationReason(e)).toBe('UnexpectedAdmissionError');
    // another pod does not get an init container's devices
    const e2 = await manager.allocate(ref('pj'), { [R]: 1 }).catch((x) => x);
    expect(devices.deviceAllocationReason(e2)).toBe('UnexpectedAdmissionError');
    await manager.release('uid-pi');
    expect(manager.inUse()[R]).not.toContain('widget-5');
  });
});
