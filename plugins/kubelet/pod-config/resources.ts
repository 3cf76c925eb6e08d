// A container's requests and limits → CRI LinuxContainerResources, as kubelet's
// generateLinuxContainerResources / calculateLinuxResources (kuberuntime_container_linux.go),
// MilliCPUToShares / milliCPUToQuota (cm/helpers_linux.go, kuberuntime/helpers_linux.go) and
// GetContainerOOMScoreAdjust (pkg/kubelet/qos/policy.go) compute them:
// - cpuShares = milli * 1024 / 1000 (integer division), at least 2, at most 262144; from the cpu
//   request, or the cpu limit when no request is given; 2 without either (BestEffort);
// - cpuPeriod = 100000 µs (always, with CFS quota on); cpuQuota = milli * period / 1000, at least
//   1000 µs, 0 (unlimited) without a cpu limit;
// - memoryLimitInBytes from the memory limit (0 = unlimited);
// - oomScoreAdj: Guaranteed and node-critical pods -997, BestEffort 1000, Burstable
//   1000 - 1000 * memoryRequest / nodeMemoryCapacity clamped to 3..999 (sidecars: no higher than the
//   lowest-request app container's score);
// - hugepageLimits from `hugepages-<size>` limits; `memory.oom.group = 1` on cgroup v2 unless
//   singleProcessOOMKill.
// Left out: swap (LimitedSwap), memory QoS (memory.min/high), pod-level resources, in-place resize's
// allocated resources (status.containerStatuses[].allocatedResources).
import { readdirSync } from 'node:fs';
import { parseMilliQuantity, parseQuantity } from '@skiff/api';
import type { HugepageLimit, LinuxContainerResources } from '@skiff/node-api';
import { getPodQOS } from './qos.ts';
import type { Container, Pod } from './types.ts';

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const SHARES_PER_CPU = 1024;
export const QUOTA_PERIOD_US = 100000;
export const MIN_QUOTA_PERIOD_US = 1000;
export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BESTEFFORT_OOM_SCORE_ADJ = 1000;
export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  const shares = Math.trunc((milliCPU * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** 0 without a limit (milliCPU 0). */
export function milliCPUToQuota(milliCPU: number, periodUs = QUOTA_PERIOD_US): number {
  if (milliCPU === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD_US, Math.trunc((milliCPU * periodUs) / 1000));
}

const bytes = (q: string | number | undefined): number => (q === undefined ? 0 : Math.ceil(parseQuantity(q)));
const millis = (q: string | number | undefined): number => (q === undefined ? 0 : parseMilliQuantity(q));

/** kube's IsCriticalPod && priorityClassName system-node-critical. */
export function isNodeCriticalPod(pod: Pod): boolean {
  if (pod.spec.priorityClassName !== 'system-node-critical') return false;
  const ann = pod.metadata.annotations ?? {};
  const source = ann['kubernetes.io/config.source'];
  const isStatic = source !== undefined && source !== 'api';
  const isMirror = ann['kubernetes.io/config.mirror'] !== undefined;
  return isStatic || isMirror || (pod.spec.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY;
}

function isSidecar(pod: Pod, container: Container): boolean {
  return container.restartPolicy === 'Always' && (pod.spec.initContainers ?? []).some((c) => c.name === container.name);
}

/** The oom_score_adj the kubelet asks for this container. */
export function containerOOMScoreAdjust(pod: Pod, container: Container, memoryCapacity: number): number {
  if (isNodeCriticalPod(pod)) return GUARANTEED_OOM_SCORE_ADJ;
  const qos = getPodQOS(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BESTEFFORT_OOM_SCORE_ADJ;
  if (!(memoryCapacity > 0)) throw new Error('containerOOMScoreAdjust: the node memory capacity must be > 0');
  const score = (memReq: number) => 1000 - Math.trunc((1000 * memReq) / memoryCapacity);
  let adj = score(bytes(container.resources?.requests?.memory));
  if (isSidecar(pod, container) && pod.spec.containers.length > 0) {
    const minRegular = Math.min(...pod.spec.containers.map((c) => bytes(c.resources?.requests?.memory)));
    adj = Math.min(adj, score(minRegular));
  }
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BESTEFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}

/** "hugepages-2Mi" → "2MB" (kube's HugePageUnitSizeFromByteSize, the runtime's page-size names). */
export function hugePageSizeName(resource: string): string | undefined {
  if (!resource.startsWith('hugepages-')) return undefined;
  let size: number;
  try {
    size = parseQuantity(resource.slice('hugepages-'.length));
  } catch {
    return undefined;
  }
  if (!(size > 0)) return undefined;
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (size >= 1024 && size % 1024 === 0 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  return Number.isInteger(size) ? `${size}${units[i]}` : undefined;
}

/** The host's huge page sizes ("2MB", "1GB"), from /sys/kernel/mm/hugepages; [] when there are none. */
export function hostHugePageSizes(dir = '/sys/kernel/mm/hugepages'): string[] {
  try {
    return readdirSync(dir)
      .map((d) => /^hugepages-(\d+)kB$/.exec(d)?.[1])
      .filter((kb): kb is string => kb !== undefined)
      .map((kb) => hugePageSizeName(`hugepages-${kb}Ki`)!)
      .filter(Boolean);
  } catch {
    return [];
  }
}

export interface ResourceOptions {
  /** the node's memory capacity in bytes (Burstable oom_score_adj) */
  memoryCapacity: number;
  /** enforce cpu limits with CFS quota (kubelet's cpuCFSQuota, default true) */
  cpuCFSQuota?: boolean;
  /** CFS period in µs (default 100000) */
  cpuCFSQuotaPeriodUs?: number;
  /** the host's huge page sizes: each gets a limit (0 unless the container asks); default: only the sizes asked for */
  hugePageSizes?: readonly string[];
  /** the node runs cgroup v2: ask the kernel to OOM-kill the whole container (memory.oom.group) ... */
  cgroupV2?: boolean;
  /** ... unless this is set (kubelet's singleProcessOOMKill) */
  singleProcessOOMKill?: boolean;
}

/** calculateLinuxResources: shares, quota/period, memory limit. */
export function linuxResources(
  cpuRequest: string | number | undefined,
  cpuLimit: string | number | undefined,
  memoryLimit: string | number | undefined,
  opts: Pick<ResourceOptions, 'cpuCFSQuota' | 'cpuCFSQuotaPeriodUs'> = {},
): LinuxContainerResources {
  const cpuShares = cpuRequest === undefined && cpuLimit !== undefined ? milliCPUToShares(millis(cpuLimit)) : milliCPUToShares(millis(cpuRequest));
  const period = opts.cpuCFSQuotaPeriodUs ?? QUOTA_PERIOD_US;
  const noQuota = opts.cpuCFSQuota === false;
  return {
    cpuPeriod: noQuota ? 0 : period,
    cpuQuota: noQuota ? 0 : milliCPUToQuota(millis(cpuLimit), period),
    cpuShares,
    memoryLimitInBytes: bytes(memoryLimit),
    oomScoreAdj: 0,
    cpusetCpus: '',
    cpusetMems: '',
    hugepageLimits: [],
    unified: {},
    memorySwapLimitInBytes: 0,
  };
}

/** A container's LinuxContainerResources (ContainerConfig.linux.resources, UpdateContainerResources). */
export function containerResources(pod: Pod, container: Container, opts: ResourceOptions): LinuxContainerResources {
  const req = container.resources?.requests ?? {};
  const lim = container.resources?.limits ?? {};
  const r = linuxResources(req.cpu, lim.cpu, lim.memory, opts);
  r.oomScoreAdj = containerOOMScoreAdjust(pod, container, opts.memoryCapacity);

  const asked = new Map<string, number>();
  for (const [name, q] of Object.entries(lim)) {
    const size = hugePageSizeName(name);
    if (size) asked.set(size, bytes(q));
  }
  const sizes = opts.hugePageSizes ?? [...asked.keys()];
  r.hugepageLimits = sizes.map((pageSize): HugepageLimit => ({ pageSize, limit: asked.get(pageSize) ?? 0 }));

  if (opts.cgroupV2 && !opts.singleProcessOOMKill) r.unified = { 'memory.oom.group': '1' };
  return r;
}

/**
 * The pod's memory limit as its cgroup gets it (kubelet's ResourceConfigForPod): undefined unless
 * every app container has a memory limit; else the larger of the app containers' sum (with the
 * sidecars') and each plain init container's limit (plus the sidecars started before it).
 */
export function podMemoryLimit(pod: Pod): number | undefined {
  if (pod.spec.containers.some((c) => !(bytes(c.resources?.limits?.memory) > 0))) return undefined;
  let sum = pod.spec.containers.reduce((s, c) => s + bytes(c.resources?.limits?.memory), 0);
  let sidecars = 0;
  let initMax = 0;
  for (const c of pod.spec.initContainers ?? []) {
    const m = bytes(c.resources?.limits?.memory);
    if (c.restartPolicy === 'Always') {
      sidecars += m;
      sum += m;
    } else {
      initMax = Math.max(initMax, sidecars + m);
    }
  }
  return Math.max(sum, initMax);
}
