// The objects a hollow node writes: its Node (spec + status), its Lease, and the status of a pod it
// "runs". Addresses are made up (nothing ever connects to them) but unique within one instance.
import { createHash } from 'node:crypto';
import type { KObject } from '@skiff/kernel';
import type { NodeSpec } from './config.ts';
import { rfc3339 } from '@skiff/api';

export const NODES = { group: '', version: 'v1', resource: 'nodes' };
export const PODS = { group: '', version: 'v1', resource: 'pods' };
export const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
export const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
export const LEASE_NAMESPACE = 'kube-node-lease';

export const KUBELET_VERSION = 'v1.32.0-skiff-hollow';
export const RUNTIME_VERSION = 'hollow://0.1';
export const HOLLOW_LABEL = 'type';

const ip = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const addr = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** InternalIP of node `index`: 10.0.0.1, 10.0.0.2, … (10.0.0.0/12, a million nodes). */
export function nodeIP(index: number): string {
  return ip(addr(10, 0, 0, 1) + (index % 0xf_fffe));
}

/**
 * Base address of node `index`'s pod /24: 10.244.0.0/24, 10.244.1.0/24, … 10.255.255.0/24 for the
 * first 3,072 nodes, then on from 10.16.0.0/24 (below 10.244, above the node range), 61,440 in all.
 */
export function podCIDRBase(index: number): number {
  const i = index % 61_440;
  return i < 3072 ? addr(10, 244, 0, 0) + i * 256 : addr(10, 16, 0, 0) + (i - 3072) * 256;
}

export const podCIDR = (index: number) => `${ip(podCIDRBase(index))}/24`;
export const podIP = (base: number, host: number) => ip(base + host);
/** host part of a pod IP within its /24 */
export const hostPart = (address: string) => Number(address.split('.')[3]);

/** RFC 3339 with second precision (as conditions and timestamps are written). */
export const nowSeconds = () => rfc3339();
/** RFC 3339 with microseconds (Lease MicroTime). */
export const nowMicro = () => new Date().toISOString().replace('Z', '000Z');

export function nodeLabels(n: NodeSpec): Record<string, string> {
  return {
    ...n.labels,
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
    [HOLLOW_LABEL]: 'hollow',
  };
}

/** The Node as registered: metadata and spec (status is a subresource, written separately). */
export function nodeObject(n: NodeSpec): KObject {
  const cidr = podCIDR(n.index);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: nodeLabels(n),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'skiff.io/hollow': 'true' },
    },
    spec: {
      podCIDR: cidr,
      podCIDRs: [cidr],
      providerID: `hollow://${n.name}`,
      ...(n.taints.length ? { taints: n.taints.map((t) => ({ ...t })) } : {}),
    },
  };
}

/** Merge our registration into an existing Node (a restart): our labels win, other labels and taints stay. */
export function adoptNode(existing: KObject, n: NodeSpec): KObject {
  const desired = nodeObject(n);
  const spec = { ...((existing.spec as Record<string, unknown>) ?? {}), ...(desired.spec as Record<string, unknown>) };
  const ours = n.taints;
  const theirs = (((existing.spec as Record<string, unknown>)?.taints as { key: string; effect: string }[]) ?? []).filter(
    (t) => !ours.some((o) => o.key === t.key && o.effect === t.effect),
  );
  if (ours.length + theirs.length) spec.taints = [...ours.map((t) => ({ ...t })), ...theirs];
  else delete spec.taints;
  const m = { ...existing.metadata };
  delete m.resourceVersion;
  m.labels = { ...(existing.metadata.labels ?? {}), ...desired.metadata.labels };
  m.annotations = { ...(existing.metadata.annotations ?? {}), ...desired.metadata.annotations };
  return { ...existing, metadata: m, spec };
}

export function nodeConditions(heartbeat: string, transition: string): Record<string, unknown>[] {
  const c = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: transition,
    reason,
    message,
  });
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status (hollow node)'),
  ];
}

export function nodeStatus(n: NodeSpec, transition: string, heartbeat = nowSeconds()): Record<string, unknown> {
  const resources = { cpu: n.cpu, memory: n.memory, pods: String(n.pods), 'ephemeral-storage': n.ephemeralStorage, ...n.extendedResources };
  const id = createHash('sha256').update(n.name).digest('hex');
  return {
    capacity: { ...resources },
    allocatable: { ...resources },
    conditions: nodeConditions(heartbeat, transition),
    addresses: [
      { type: 'InternalIP', address: nodeIP(n.index) },
      { type: 'Hostname', address: n.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: id.slice(0, 32),
      systemUUID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
      bootID: id.slice(32, 64),
      kernelVersion: '6.1.0-hollow',
      osImage: 'Skiff Hollow Node (simulated)',
      containerRuntimeVersion: RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
    ...(n.images?.length ? { images: n.images.map((i) => ({ names: [...i.names], sizeBytes: i.sizeBytes })) } : {}),
  };
}

export function leaseObject(n: NodeSpec, nodeUid: string | undefined, durationSeconds: number): KObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: n.name,
      namespace: LEASE_NAMESPACE,
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n.name, uid: nodeUid }] } : {}),
    },
    spec: { holderIdentity: n.name, leaseDurationSeconds: durationSeconds, renewTime: nowMicro() },
  };
}

const imageIDs = new Map<string, string>();
function imageID(image: string): string {
  let id = imageIDs.get(image);
  if (!id) {
    const repo = image.replace(/@sha256:.*$/, '').replace(/:[^/:]+$/, '');
    id = `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
    if (imageIDs.size > 10_000) imageIDs.clear();
    imageIDs.set(image, id);
  }
  return id;
}

type Obj = Record<string, unknown>;

/** The status merge-patch that makes a pod Running: all containers started and ready. qosClass is left alone. */
export function runningPodStatus(pod: KObject, podIPAddr: string, hostIPAddr: string): Obj {
  const t = nowSeconds();
  const uid = pod.metadata.uid ?? '';
  const spec = (pod.spec ?? {}) as Obj;
  const status = (pod.status ?? {}) as Obj;
  const old = (Array.isArray(status.conditions) ? status.conditions : []) as Obj[];
  const scheduled = old.find((c) => c.type === 'PodScheduled');
  const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t });
  const containers = (Array.isArray(spec.containers) ? spec.containers : []) as Obj[];
  const inits = (Array.isArray(spec.initContainers) ? spec.initContainers : []) as Obj[];
  const containerID = (c: Obj) => `hollow://${uid}-${String(c.name)}`;
  const containerStatus = (c: Obj, state: Obj, started: boolean) => {
    const image = String(c.image ?? '');
    return { name: c.name, state, lastState: {}, ready: true, restartCount: 0, image, imageID: imageID(image), containerID: containerID(c), started };
  };
  const cs = (c: Obj) => containerStatus(c, { running: { startedAt: t } }, true);
  const ics = (c: Obj) => containerStatus(c, { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t, containerID: containerID(c) } }, false);
  const ip = spec.hostNetwork === true ? hostIPAddr : podIPAddr;
  return {
    phase: 'Running',
    conditions: [
      cond('PodReadyToStartContainers'),
      cond('Initialized'),
      cond('Ready'),
      cond('ContainersReady'),
      scheduled ? { ...scheduled, status: 'True' } : cond('PodScheduled'),
    ],
    hostIP: hostIPAddr,
    hostIPs: [{ ip: hostIPAddr }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: typeof status.startTime === 'string' ? status.startTime : t,
    ...(inits.length ? { initContainerStatuses: inits.map(ics) } : {}),
    containerStatuses: containers.map(cs),
  };
}
