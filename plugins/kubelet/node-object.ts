// The Node this agent registers, read off the machine it runs on: capacity (cpu, memory, pods,
// ephemeral storage of the kubelet's root directory, extended resources from config), addresses,
// the well-known labels, nodeInfo, and the conditions a kubelet reports. Extended resources of
// device plugins come from the device manager: capacity every device, allocatable the healthy ones.
import { readFileSync, statfsSync } from 'node:fs';
import { availableParallelism, freemem, hostname, networkInterfaces, release, totalmem } from 'node:os';
import { now, type KObject } from '@skiff/kernel';
import type { devices } from '@skiff/node-api';

export const KUBELET_VERSION = 'v1.32.0-skiff';
export const NODES = { group: '', version: 'v1', resource: 'nodes' };
export const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
export const LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeIdentity {
  name: string;
  /** InternalIP */
  address: string;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  maxPods: number;
  /** extended resources this node offers, e.g. {"example.com/dongle": "4"} */
  extendedResources: Record<string, string>;
  /** where the kubelet keeps pod data: its filesystem is the node's ephemeral storage */
  rootDir: string;
}

/** The node name a kubelet uses by default: the host name, lower-cased. */
export const defaultNodeName = () => hostname().toLowerCase();

/** The first non-loopback IPv4 address of the machine (127.0.0.1 if it has none). */
export function defaultNodeAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export const ARCH = process.arch === 'x64' ? 'amd64' : process.arch;

export function nodeLabels(id: NodeIdentity): Record<string, string> {
  return {
    ...id.labels,
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': ARCH,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': ARCH,
  };
}

/** The Node as first registered (status is written separately, through its subresource). */
export function nodeObject(id: NodeIdentity): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: id.name, labels: nodeLabels(id), annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
    spec: id.taints.length ? { taints: id.taints.map((t) => ({ ...t })) } : {},
  };
}

/** Our labels and taints merged into a Node that already exists (a restart): others are kept. */
export function adoptedNode(existing: KObject, id: NodeIdentity): KObject {
  const spec = { ...((existing.spec as Record<string, unknown>) ?? {}) };
  const theirs = ((spec.taints as { key: string; effect: string }[]) ?? []).filter((t) => !id.taints.some((o) => o.key === t.key && o.effect === t.effect));
  const taints = [...id.taints.map((t) => ({ ...t })), ...theirs];
  if (taints.length) spec.taints = taints;
  else delete spec.taints;
  const metadata = { ...existing.metadata, labels: { ...(existing.metadata.labels ?? {}), ...nodeLabels(id) } };
  delete metadata.resourceVersion;
  return { ...existing, metadata, spec };
}

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
};

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(read('/etc/os-release'));
  return m ? m[1] : 'Linux';
}

/** Bytes of the filesystem holding `dir`: [total, available]. */
function diskOf(dir: string): [number, number] {
  try {
    const s = statfsSync(dir);
    return [s.blocks * s.bsize, s.bavail * s.bsize];
  } catch {
    return [0, 0];
  }
}

export interface RuntimeHealth {
  /** e.g. containerd://1.6.20 */
  version: string;
  ready: boolean;
  /** why not ready (runtime or network) */
  message?: string;
}

export interface NodeImage {
  names: string[];
  sizeBytes: number;
}

export type Condition = { type: string; status: string; reason: string; message: string; lastHeartbeatTime: string; lastTransitionTime: string };

/** status of the Node: capacity, conditions (transition times kept from `previous` when unchanged), addresses, nodeInfo. */
export function nodeStatus(
  id: NodeIdentity,
  runtime: RuntimeHealth,
  images: NodeImage[],
  previous: Condition[] = [],
  deviceResources: devices.ExtendedResource[] = [],
): Record<string, unknown> {
  const stamp = now();
  const [diskTotal, diskFree] = diskOf(id.rootDir);
  const capacity: Record<string, string> = {
    cpu: String(availableParallelism()),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: String(id.maxPods),
    'ephemeral-storage': `${Math.floor(diskTotal / 1024)}Ki`,
    ...id.extendedResources,
  };
  const allocatable: Record<string, string> = { ...capacity };
  for (const r of deviceResources) {
    capacity[r.name] = String(r.capacity);
    allocatable[r.name] = String(r.allocatable);
  }
  const cond = (type: string, ok: boolean, okReason: string, okMessage: string, badReason: string, badMessage: string, okStatus = 'False'): Condition => {
    const status = ok ? okStatus : okStatus === 'True' ? 'False' : 'True';
    const prev = previous.find((c) => c.type === type);
    return {
      type,
      status,
      reason: ok ? okReason : badReason,
      message: ok ? okMessage : badMessage,
      lastHeartbeatTime: stamp,
      lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : stamp,
    };
  };
  const memoryOk = freemem() > 100 * 1024 * 1024;
  const diskOk = diskTotal === 0 || diskFree / diskTotal > 0.1;
  const machineID = read('/etc/machine-id');
  return {
    capacity,
    allocatable,
    conditions: [
      cond('MemoryPressure', memoryOk, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'),
      cond('DiskPressure', diskOk, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', 'KubeletHasDiskPressure', 'kubelet has disk pressure'),
      cond('PIDPressure', true, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available'),
      cond('Ready', runtime.ready, 'KubeletReady', 'kubelet is posting ready status', 'KubeletNotReady', runtime.message ?? 'container runtime is not ready', 'True'),
    ],
    addresses: [
      { type: 'InternalIP', address: id.address },
      { type: 'Hostname', address: id.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    nodeInfo: {
      machineID,
      systemUUID: machineID,
      bootID: read('/proc/sys/kernel/random/boot_id'),
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: runtime.version,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: ARCH,
    },
    images: images.slice(0, 50),
  };
}

/** Whether the node's status changed in something other than heartbeat times. */
export function statusChanged(a: Record<string, unknown> | undefined, b: Record<string, unknown>): boolean {
  if (!a) return true;
  const strip = (s: Record<string, unknown>) =>
    JSON.stringify({ ...s, conditions: ((s.conditions as Condition[]) ?? []).map((c) => ({ ...c, lastHeartbeatTime: undefined })) });
  return strip(a) !== strip(b);
}
