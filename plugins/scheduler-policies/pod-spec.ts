// Typed, cached views of the parts of a pod's spec that the default policies read. PodInfo carries
// the raw object; these accessors parse once per PodInfo (WeakMap caches, so nothing outlives the
// scheduler's own PodInfo) and hand back shared empty values for the common "not set" case.
import type { NodeInfo, PodInfo, Taint } from '@skiff/plugin-scheduler/framework';
import { tryParseQuantity, type Affinity, type TopologySpreadConstraint, type Toleration } from '@skiff/api';

// The API's own types where the policies read the same fields; containers keep a looser view below
// (a raw object's quantities may be numbers, and a name or containerPort may be missing).
export type {
  Affinity, LabelSelector, NodeAffinity, NodeSelectorRequirement, NodeSelectorTerm, PodAffinity, PodAffinityTerm, PreferredSchedulingTerm,
  TopologySpreadConstraint, Toleration, WeightedPodAffinityTerm,
} from '@skiff/api';

export interface ContainerPort {
  containerPort?: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

export interface Container {
  name?: string;
  image?: string;
  ports?: ContainerPort[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  restartPolicy?: string;
}

/** The fields of a PodSpec the default policies read; everything optional, as on a raw object. */
export interface PodSpecView {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, string | number>;
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never';
}

const EMPTY_SPEC: PodSpecView = Object.freeze({}) as PodSpecView;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function specOf(p: PodInfo): PodSpecView {
  const s = p.pod?.spec;
  return isObj(s) ? (s as PodSpecView) : EMPTY_SPEC;
}

const NO_TOLERATIONS: readonly Toleration[] = Object.freeze([]);
export function tolerationsOf(p: PodInfo): readonly Toleration[] {
  const t = specOf(p).tolerations;
  return Array.isArray(t) ? t : NO_TOLERATIONS;
}

/** Is the pod being deleted (kube's countPodsMatchSelector skips these)? */
export function isTerminating(p: PodInfo): boolean {
  return Boolean(p.pod?.metadata?.deletionTimestamp);
}

// ---------------------------------------------------------------------------------------------
// Taints and tolerations (v1 helper ToleratesTaint)

export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerate(ts: readonly Toleration[], taint: Taint): boolean {
  for (let i = 0; i < ts.length; i++) if (toleratesTaint(ts[i], taint)) return true;
  return false;
}

/** The first NoSchedule / NoExecute taint of the node that the tolerations do not tolerate. */
export function firstUntoleratedHardTaint(taints: readonly Taint[], ts: readonly Toleration[]): Taint | undefined {
  for (let i = 0; i < taints.length; i++) {
    const taint = taints[i];
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerationsTolerate(ts, taint)) return taint;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Host ports

export interface HostPort {
  protocol: string;
  hostIP: string;
  port: number;
  /** `${protocol}/${hostIP}/${port}`, the NodeInfo.usedPorts format */
  key: string;
}

const NO_PORTS: readonly HostPort[] = Object.freeze([]);
const portsCache = new WeakMap<PodInfo, readonly HostPort[]>();

/** The pod's host ports (containers and restartable init containers), hostIP 0.0.0.0 and TCP by default. */
export function hostPortsOf(p: PodInfo): readonly HostPort[] {
  let out = portsCache.get(p);
  if (out) return out;
  const spec = specOf(p);
  let list: HostPort[] | undefined;
  const scan = (cs: Container[] | undefined, sidecarsOnly: boolean) => {
    if (!Array.isArray(cs)) return;
    for (const c of cs) {
      if (!isObj(c) || !Array.isArray(c.ports)) continue;
      if (sidecarsOnly && c.restartPolicy !== 'Always') continue;
      for (const port of c.ports) {
        if (!isObj(port) || typeof port.hostPort !== 'number' || port.hostPort <= 0) continue;
        const protocol = typeof port.protocol === 'string' && port.protocol ? port.protocol : 'TCP';
        const hostIP = typeof port.hostIP === 'string' && port.hostIP ? port.hostIP : '0.0.0.0';
        (list ??= []).push({ protocol, hostIP, port: port.hostPort, key: `${protocol}/${hostIP}/${port.hostPort}` });
      }
    }
  };
  scan(spec.containers, false);
  scan(spec.initContainers, true);
  out = list ?? NO_PORTS;
  portsCache.set(p, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Images

const imagesCache = new WeakMap<PodInfo, { images: readonly string[]; containers: number }>();

/** kube's normalizedImageName: an image without a tag gets ":latest". */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

/** Normalized image names of init containers and containers (duplicates kept, as kube counts them), and the number of containers. */
export function imagesOf(p: PodInfo): { images: readonly string[]; containers: number } {
  let out = imagesCache.get(p);
  if (out) return out;
  const spec = specOf(p);
  const images: string[] = [];
  let containers = 0;
  for (const cs of [spec.initContainers, spec.containers]) {
    if (!Array.isArray(cs)) continue;
    for (const c of cs) {
      containers++;
      if (isObj(c) && typeof c.image === 'string' && c.image) images.push(normalizedImageName(c.image));
    }
  }
  out = { images, containers };
  imagesCache.set(p, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Non-zero requests (kube's NonMissingContainerRequests: a container that does not request cpu /
// memory counts as 100m / 200Mi for scoring, so that best-effort pods still spread).

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface CpuMem {
  cpu: number;
  memory: number;
}

const nonZeroCache = new WeakMap<PodInfo, CpuMem>();

function containerCpuMem(c: Container | undefined): { cpu?: number; memory?: number } {
  const res = isObj(c) && isObj(c.resources) ? c.resources : undefined;
  const pick = (name: 'cpu' | 'memory') => {
    const q = (isObj(res?.requests) ? res.requests[name] : undefined) ?? (isObj(res?.limits) ? res.limits[name] : undefined);
    if (q === undefined) return undefined;
    const v = tryParseQuantity(q);
    if (v === undefined) return undefined;
    return name === 'cpu' ? Math.ceil(Math.round(v * 1e6) / 1e3) : v;
  };
  return { cpu: pick('cpu'), memory: pick('memory') };
}

/** The pod's cpu (milli) and memory requests with kube's defaults for containers that request none. */
export function nonZeroRequestsOf(p: PodInfo): CpuMem {
  let out = nonZeroCache.get(p);
  if (out) return out;
  const spec = specOf(p);
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    // a hand-built PodInfo without containers: apply the defaults to the pod-level requests
    out = {
      cpu: p.requests.cpu || DEFAULT_MILLI_CPU_REQUEST,
      memory: p.requests.memory || DEFAULT_MEMORY_REQUEST,
    };
  } else {
    let cpu = 0;
    let memory = 0;
    let sideCpu = 0;
    let sideMem = 0;
    let peakCpu = 0;
    let peakMem = 0;
    for (const c of spec.containers) {
      const r = containerCpuMem(c);
      cpu += r.cpu ?? DEFAULT_MILLI_CPU_REQUEST;
      memory += r.memory ?? DEFAULT_MEMORY_REQUEST;
    }
    for (const c of Array.isArray(spec.initContainers) ? spec.initContainers : []) {
      const r = containerCpuMem(c);
      const rc = r.cpu ?? DEFAULT_MILLI_CPU_REQUEST;
      const rm = r.memory ?? DEFAULT_MEMORY_REQUEST;
      if (isObj(c) && c.restartPolicy === 'Always') {
        sideCpu += rc;
        sideMem += rm;
        cpu += rc;
        memory += rm;
        peakCpu = Math.max(peakCpu, sideCpu);
        peakMem = Math.max(peakMem, sideMem);
      } else {
        peakCpu = Math.max(peakCpu, sideCpu + rc);
        peakMem = Math.max(peakMem, sideMem + rm);
      }
    }
    cpu = Math.max(cpu, peakCpu);
    memory = Math.max(memory, peakMem);
    if (isObj(spec.overhead)) {
      const oc = spec.overhead.cpu !== undefined ? tryParseQuantity(spec.overhead.cpu) : undefined;
      const om = spec.overhead.memory !== undefined ? tryParseQuantity(spec.overhead.memory) : undefined;
      if (oc !== undefined) cpu += Math.ceil(Math.round(oc * 1e6) / 1e3);
      if (om !== undefined) memory += om;
    }
    out = { cpu, memory };
  }
  nonZeroCache.set(p, out);
  return out;
}

interface NodeNonZero extends CpuMem {
  generation: number;
  pods: number;
}
const nodeNonZeroCache = new WeakMap<NodeInfo, NodeNonZero>();

/** kube's NodeInfo.NonZeroRequested: the node's pods' non-zero cpu / memory, cached per NodeInfo generation. */
export function nodeNonZeroRequested(n: NodeInfo): CpuMem {
  let c = nodeNonZeroCache.get(n);
  if (c && c.generation === n.generation && c.pods === n.pods.length) return c;
  let cpu = 0;
  let memory = 0;
  for (const p of n.pods) {
    const r = nonZeroRequestsOf(p);
    cpu += r.cpu;
    memory += r.memory;
  }
  if (!c) {
    c = { generation: n.generation, pods: n.pods.length, cpu, memory };
    nodeNonZeroCache.set(n, c);
  } else {
    c.generation = n.generation;
    c.pods = n.pods.length;
    c.cpu = cpu;
    c.memory = memory;
  }
  return c;
}

/** Creation time in ms (0 when missing). */
export function creationMs(p: PodInfo): number {
  const t = p.pod?.metadata?.creationTimestamp;
  return t ? Date.parse(t) || 0 : 0;
}

/** status.startTime in ms, falling back to creation time (kube's GetPodStartTime). */
export function startMs(p: PodInfo): number {
  const st = isObj(p.pod?.status) ? (p.pod.status as Record<string, unknown>).startTime : undefined;
  return typeof st === 'string' ? Date.parse(st) || creationMs(p) : creationMs(p);
}
