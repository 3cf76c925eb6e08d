// The kubelet's view of the device manager follows the provider: none, one loaded later, one
// replaced by a hot reload (the listener hears every switch and the new provider's changes, not
// the old one's). The providers here are minimal in-memory DeviceManagers (the real one is tested
// in plugins/device-manager and integration/devices-kubelet.test.ts).
import { expect, it } from 'vitest';
import type { devices } from '@skiff/node-api';
import { ResolvedDeviceManager } from './device-source.ts';

class Provider implements devices.DeviceManager {
  readonly listeners = new Set<() => void>();
  released: string[] = [];
  constructor(readonly count: number) {}
  resources() {
    return [{ name: 'example.com/widget', capacity: this.count, allocatable: this.count, connected: true }];
  }
  onChange(l: () => void) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  async allocate(_c: devices.ContainerRef, req: Record<string, number>) {
    return { deviceIds: { 'example.com/widget': Array.from({ length: req['example.com/widget'] ?? 0 }, (_, i) => `w-${i}`) }, envs: [], mounts: [], devices: [], annotations: {} };
  }
  async release(uid: string) {
    this.released.push(uid);
  }
  allocatedPods() {
    return ['p'];
  }
}

it('follows whichever device manager is provided, re-subscribing on a switch', async () => {
  let provided: devices.DeviceManager | undefined;
  const dm = new ResolvedDeviceManager(() => provided);
  let heard = 0;
  dm.onChange(() => heard++);
  expect(dm.resources()).toEqual([]);
  expect(await dm.allocate({ podUid: 'p', podNamespace: 'n', podName: 'p', container: 'c' }, { 'example.com/widget': 1 })).toEqual({ deviceIds: {}, envs: [], mounts: [], devices: [], annotations: {} });
  expect(dm.allocatedPods()).toEqual([]);

  const a = new Provider(4);
  provided = a;
  expect(dm.resources()[0].capacity).toBe(4);
  await Promise.resolve();
  expect(heard).toBe(1); // the switch itself
  for (const l of a.listeners) l();
  expect(heard).toBe(2);

  const b = new Provider(6);
  provided = b; // a hot reload
  expect(dm.resources()[0].capacity).toBe(6);
  expect(a.listeners.size).toBe(0);
  await Promise.resolve();
  expect(heard).toBe(3);
  await dm.release('p');
  expect([a.released, b.released]).toEqual([[], ['p']]);
  expect((await dm.allocate({ podUid: 'p', podNamespace: 'n', podName: 'p', container: 'c' }, { 'example.com/widget': 2 })).deviceIds).toEqual({ 'example.com/widget': ['w-0', 'w-1'] });
});
