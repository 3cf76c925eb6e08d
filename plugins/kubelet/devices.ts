// The kubelet's side of device plugins (kube's devicemanager as the kubelet uses it):
// - admission: a pod new to the node gets its containers' devices allocated before anything runs;
//   if the node cannot give them, the pod fails with UnexpectedAdmissionError (kubelet's
//   "Pod was rejected: ..."), and whatever was allocated to it is given back;
// - container config: the allocation (the same answer again: the device manager keeps it per
//   container) is merged into the CRI ContainerConfig — env, mounts, device nodes, annotations;
// - release when the pod is gone or finished.
// A container asks for devices with its limits of extended resources (requests, which the API
// requires to equal them, when there is no limit).
import { isExtendedResourceName, tryParseQuantity } from '@skiff/api';
import type { KObject } from '@skiff/kernel';
import type { ContainerConfig, devices } from '@skiff/node-api';

export const UNEXPECTED_ADMISSION_ERROR = 'UnexpectedAdmissionError';

interface ContainerLike {
  name: string;
  /** an init container with restartPolicy Always is a sidecar: it keeps running, and its devices */
  restartPolicy?: string;
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
}

/** The container's extended resources and how many of each (whole devices). */
export function containerDeviceRequests(c: ContainerLike): Record<string, number> {
  const out: Record<string, number> = {};
  const { limits = {}, requests = {} } = c.resources ?? {};
  for (const name of new Set([...Object.keys(limits), ...Object.keys(requests)])) {
    if (!isExtendedResourceName(name)) continue;
    const n = tryParseQuantity(limits[name] ?? requests[name]);
    if (n !== undefined && n > 0) out[name] = Math.ceil(n);
  }
  return out;
}

const specOf = (pod: KObject) => (pod.spec ?? {}) as { initContainers?: ContainerLike[]; containers?: ContainerLike[] };
/** init containers first, in order: the devices of one that runs to completion pass on to those after it */
const containersOf = (pod: KObject) => [...(specOf(pod).initContainers ?? []), ...(specOf(pod).containers ?? [])];

export function containerRef(pod: KObject, container: string): devices.ContainerRef {
  const ref: devices.ContainerRef = { podUid: pod.metadata.uid!, podNamespace: pod.metadata.namespace ?? 'default', podName: pod.metadata.name!, container };
  const init = (specOf(pod).initContainers ?? []).find((c) => c.name === container);
  if (init && init.restartPolicy !== 'Always') ref.init = true;
  return ref;
}

/** Whether any container of the pod asks for extended resources. */
export const podWantsDevices = (pod: KObject) => containersOf(pod).some((c) => Object.keys(containerDeviceRequests(c)).length > 0);

/**
 * Allocates every container's devices (kubelet's device admission). Undefined when admitted; else
 * why not — the pod's devices are then released.
 */
export async function admitPodDevices(pod: KObject, dm: devices.DeviceManager): Promise<{ reason: string; message: string } | undefined> {
  try {
    for (const c of containersOf(pod)) {
      const req = containerDeviceRequests(c);
      if (Object.keys(req).length) await dm.allocate(containerRef(pod, c.name), req);
    }
    return undefined;
  } catch (e) {
    await dm.release(pod.metadata.uid!).catch(() => {});
    // any failure of the device manager fails admission the same way in kube
    return { reason: UNEXPECTED_ADMISSION_ERROR, message: e instanceof Error ? e.message : String(e) };
  }
}

/** The allocation merged into a container's config: the container's own env wins over a device's. */
export function withDevices(config: ContainerConfig, a: devices.DeviceAllocation): ContainerConfig {
  const own = new Set(config.envs.map((e) => e.key));
  const mounted = new Set(config.mounts.map((m) => m.containerPath));
  return {
    ...config,
    envs: [...a.envs.filter((e) => !own.has(e.key)), ...config.envs],
    mounts: [...config.mounts, ...a.mounts.filter((m) => !mounted.has(m.containerPath))],
    devices: [...config.devices, ...a.devices],
    annotations: { ...a.annotations, ...config.annotations },
  };
}
