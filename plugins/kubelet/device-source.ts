// The device manager as the kubelet sees it: whichever skiff.io/device plugin provides
// DeviceManagerToken at the moment of each call. A device manager loaded after the kubelet, or
// hot-reloaded, is picked up (its onChange re-subscribed) without restarting the kubelet; with
// none, the node has no device-plugin resources and containers get no devices (extended resources
// of the kubelet's own config are not allocated, as in kube).
import type { devices } from '@skiff/node-api';

const NONE: devices.DeviceAllocation = { deviceIds: {}, envs: [], mounts: [], devices: [], annotations: {} };

export class ResolvedDeviceManager implements devices.DeviceManager {
  private current?: devices.DeviceManager;
  private unsubscribe?: () => void;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly resolve: () => devices.DeviceManager | undefined) {}

  /** The provider now; a new one is subscribed to, and the listeners hear of the switch. */
  private now(): devices.DeviceManager | undefined {
    let dm: devices.DeviceManager | undefined;
    try {
      dm = this.resolve();
    } catch {
      dm = undefined;
    }
    if (dm !== this.current) {
      this.unsubscribe?.();
      this.current = dm;
      this.unsubscribe = dm?.onChange(() => this.fire());
      if (this.listeners.size) queueMicrotask(() => this.fire());
    }
    return dm;
  }

  private fire(): void {
    for (const l of this.listeners) l();
  }

  resources(): devices.ExtendedResource[] {
    return this.now()?.resources() ?? [];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    this.now();
    return () => void this.listeners.delete(listener);
  }

  async allocate(container: devices.ContainerRef, requests: Record<string, number>): Promise<devices.DeviceAllocation> {
    const dm = this.now();
    return dm ? dm.allocate(container, requests) : structuredClone(NONE);
  }

  async release(podUid: string): Promise<void> {
    await this.now()?.release(podUid);
  }

  allocatedPods(): string[] {
    return this.now()?.allocatedPods() ?? [];
  }
}
