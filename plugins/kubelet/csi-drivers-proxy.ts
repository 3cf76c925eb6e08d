// The node's CSI drivers as the kubelet sees them: whatever the skiff.io/csi plugin provides now.
// That plugin may start after the kubelet, be reloaded (a new registry) or be absent, so the
// registry is resolved on every call, and the kubelet's onChange listeners follow it: they are
// attached to the registry in use as soon as a call finds one (a pod waiting on a driver asks
// every few seconds), and moved when it changes.
import type { csi } from '@skiff/node-api';

export function lazyCsiDrivers(current: () => csi.CsiDrivers | undefined): csi.CsiDrivers {
  const listeners = new Set<(e: csi.CsiDriverEvent) => void>();
  let attached: csi.CsiDrivers | undefined;
  let detach: (() => void) | undefined;
  const now = (): csi.CsiDrivers | undefined => {
    const r = current();
    if (r !== attached) {
      detach?.();
      attached = r;
      detach = r?.onChange((e) => {
        for (const l of listeners) l(e);
      });
      // a new registry: its drivers are news to whoever listens
      if (r) for (const d of r.list()) for (const l of listeners) l({ type: 'Registered', driver: d });
    }
    return r;
  };
  return {
    get: (name) => now()?.get(name),
    list: () => now()?.list() ?? [],
    onChange(listener) {
      listeners.add(listener);
      now();
      return () => listeners.delete(listener);
    },
  };
}
