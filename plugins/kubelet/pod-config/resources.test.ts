import { describe, expect, it } from 'vitest';
import {
  containerOOMScoreAdjust, containerResources, hugePageSizeName, isNodeCriticalPod, linuxResources, milliCPUToQuota, milliCPUToShares, podMemoryLimit,
} from './resources.ts';
import { mkPod } from './testing.ts';
import type { Container, ResourceList } from './types.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const c = (name: string, requests?: ResourceList, limits?: ResourceList, extra: Partial<Container> = {}): Container => ({
  name,
  resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
  ...extra,
});

describe('cpu shares and quota (kube helpers_linux.go)', () => {
  it('milliCPUToShares: milli*1024/1000 truncated, within 2..262144', () => {
    expect(milliCPUToShares(0)).toBe(2);
    expect(milliCPUToShares(1)).toBe(2); // 1.024 → 1 → min 2
    expect(milliCPUToShares(2)).toBe(2);
    expect(milliCPUToShares(3)).toBe(3); // 3.072
    expect(milliCPUToShares(100)).toBe(102); // 102.4
    expect(milliCPUToShares(250)).toBe(256);
    expect(milliCPUToShares(999)).toBe(1022); // 1022.976
    expect(milliCPUToShares(1000)).toBe(1024);
    expect(milliCPUToShares(1500)).toBe(1536);
    expect(milliCPUToShares(300_000)).toBe(262144); // max
  });

  it('milliCPUToQuota: milli*period/1000, at least 1000 µs, 0 without a limit', () => {
    expect(milliCPUToQuota(0)).toBe(0);
    expect(milliCPUToQuota(1)).toBe(1000); // 100 µs → min 1000
    expect(milliCPUToQuota(9)).toBe(1000);
    expect(milliCPUToQuota(10)).toBe(1000);
    expect(milliCPUToQuota(11)).toBe(1100);
    expect(milliCPUToQuota(250)).toBe(25000);
    expect(milliCPUToQuota(1500)).toBe(150000);
    expect(milliCPUToQuota(333, 50000)).toBe(16650);
  });

  it('linuxResources: shares from the request, else from the limit', () => {
    const r = linuxResources('250m', '1', '128Mi');
    expect([r.cpuShares, r.cpuQuota, r.cpuPeriod, r.memoryLimitInBytes]).toEqual([256, 100000, 100000, 128 * MiB]);
    expect(linuxResources(undefined, '500m', undefined).cpuShares).toBe(512);
    expect(linuxResources('0', '500m', undefined).cpuShares).toBe(2); // an explicit 0 request wins
    const none = linuxResources(undefined, undefined, undefined);
    expect([none.cpuShares, none.cpuQuota, none.cpuPeriod, none.memoryLimitInBytes]).toEqual([2, 0, 100000, 0]);
    expect(linuxResources('1.5', undefined, '1.5Gi').cpuShares).toBe(1536);
    expect(linuxResources(undefined, '0.1m', undefined).cpuQuota).toBe(1000); // rounded up to 1m
    const noCfs = linuxResources(undefined, '1', undefined, { cpuCFSQuota: false });
    expect([noCfs.cpuQuota, noCfs.cpuPeriod]).toEqual([0, 0]);
  });
});

describe('oom_score_adj (kube qos/policy.go)', () => {
  const cap = 8 * GiB;
  it('Guaranteed -997, BestEffort 1000', () => {
    const g = mkPod({ containers: [c('a', undefined, { cpu: '1', memory: '1Gi' })] });
    expect(containerOOMScoreAdjust(g, g.spec.containers[0], cap)).toBe(-997);
    const be = mkPod({ containers: [c('a')] });
    expect(containerOOMScoreAdjust(be, be.spec.containers[0], cap)).toBe(1000);
  });

  it('Burstable: 1000 - 1000*request/capacity, clamped to 3..999', () => {
    const pod = (mem?: string) => mkPod({ containers: [c('a', { cpu: '100m', ...(mem ? { memory: mem } : {}) })] });
    const adj = (mem?: string) => {
      const p = pod(mem);
      return containerOOMScoreAdjust(p, p.spec.containers[0], cap);
    };
    expect(adj('1Gi')).toBe(875); // 1000 - 125
    expect(adj('800Mi')).toBe(903); // 1000 - 97.6 truncated
    expect(adj()).toBe(999); // no memory request: 1000 → 999 (below BestEffort)
    expect(adj('1Mi')).toBe(999); // 1000 - 0 → 999
    expect(adj('8Gi')).toBe(3); // 0 → the Burstable floor
    expect(adj('16Gi')).toBe(3);
    expect(adj('7.99Gi')).toBe(3);
    expect(() => containerOOMScoreAdjust(pod('1Gi'), pod('1Gi').spec.containers[0], 0)).toThrow(/capacity/);
  });

  it('sidecars score no higher than the lowest-request app container', () => {
    const pod = mkPod({
      containers: [c('a', { memory: '2Gi' }), c('b', { memory: '4Gi' })],
      initContainers: [c('side', { memory: '100Mi' }, undefined, { restartPolicy: 'Always' }), c('plain', { memory: '100Mi' })],
    });
    expect(containerOOMScoreAdjust(pod, pod.spec.initContainers![0], cap)).toBe(750); // min(988, 750)
    expect(containerOOMScoreAdjust(pod, pod.spec.initContainers![1], cap)).toBe(988);
  });

  it('node-critical pods -997 whatever their QoS', () => {
    const base = { containers: [c('a')], priorityClassName: 'system-node-critical' };
    const critical = mkPod({ ...base, priority: 2_000_001_000 });
    expect(isNodeCriticalPod(critical)).toBe(true);
    expect(containerOOMScoreAdjust(critical, critical.spec.containers[0], cap)).toBe(-997);
    const staticPod = mkPod(base, { annotations: { 'kubernetes.io/config.source': 'file' } });
    expect(isNodeCriticalPod(staticPod)).toBe(true);
    expect(isNodeCriticalPod(mkPod(base))).toBe(false); // no priority: not critical
    expect(isNodeCriticalPod(mkPod({ containers: [c('a')], priority: 2_000_001_000, priorityClassName: 'system-cluster-critical' }))).toBe(false);
  });
});

describe('containerResources', () => {
  it('puts it together', () => {
    const pod = mkPod({ containers: [c('a', { cpu: '250m', memory: '64Mi' }, { cpu: '500m', memory: '128Mi' })] });
    const r = containerResources(pod, pod.spec.containers[0], { memoryCapacity: 8 * GiB });
    expect(r).toEqual({
      cpuPeriod: 100000,
      cpuQuota: 50000,
      cpuShares: 256,
      memoryLimitInBytes: 128 * MiB,
      oomScoreAdj: 1000 - Math.trunc((1000 * 64 * MiB) / (8 * GiB)),
      cpusetCpus: '',
      cpusetMems: '',
      hugepageLimits: [],
      unified: {},
      memorySwapLimitInBytes: 0,
    });
  });

  it('BestEffort: 2 shares, no quota, no memory limit, 1000', () => {
    const pod = mkPod();
    const r = containerResources(pod, pod.spec.containers[0], { memoryCapacity: GiB });
    expect([r.cpuShares, r.cpuQuota, r.memoryLimitInBytes, r.oomScoreAdj]).toEqual([2, 0, 0, 1000]);
  });

  it('huge pages: the sizes asked for, or every host size', () => {
    expect(hugePageSizeName('hugepages-2Mi')).toBe('2MB');
    expect(hugePageSizeName('hugepages-1Gi')).toBe('1GB');
    expect(hugePageSizeName('hugepages-64Ki')).toBe('64KB');
    expect(hugePageSizeName('memory')).toBeUndefined();
    const pod = mkPod({ containers: [c('a', undefined, { cpu: '1', memory: '1Gi', 'hugepages-2Mi': '100Mi' })] });
    expect(containerResources(pod, pod.spec.containers[0], { memoryCapacity: GiB }).hugepageLimits).toEqual([{ pageSize: '2MB', limit: 100 * MiB }]);
    expect(containerResources(pod, pod.spec.containers[0], { memoryCapacity: GiB, hugePageSizes: ['2MB', '1GB'] }).hugepageLimits).toEqual([
      { pageSize: '2MB', limit: 100 * MiB },
      { pageSize: '1GB', limit: 0 },
    ]);
  });

  it('memory.oom.group on cgroup v2 unless singleProcessOOMKill', () => {
    const pod = mkPod();
    expect(containerResources(pod, pod.spec.containers[0], { memoryCapacity: GiB, cgroupV2: true }).unified).toEqual({ 'memory.oom.group': '1' });
    expect(containerResources(pod, pod.spec.containers[0], { memoryCapacity: GiB, cgroupV2: true, singleProcessOOMKill: true }).unified).toEqual({});
  });

  it('podMemoryLimit: only when every app container has one; init containers can raise it', () => {
    expect(podMemoryLimit(mkPod({ containers: [c('a', undefined, { memory: '1Gi' }), c('b')] }))).toBeUndefined();
    expect(podMemoryLimit(mkPod({ containers: [c('a', undefined, { memory: '1Gi' }), c('b', undefined, { memory: '1Gi' })] }))).toBe(2 * GiB);
    expect(podMemoryLimit(mkPod({ containers: [c('a', undefined, { memory: '1Gi' })], initContainers: [c('i', undefined, { memory: '3Gi' })] }))).toBe(3 * GiB);
    expect(
      podMemoryLimit(mkPod({ containers: [c('a', undefined, { memory: '1Gi' })], initContainers: [c('s', undefined, { memory: '1Gi' }, { restartPolicy: 'Always' })] })),
    ).toBe(2 * GiB);
  });
});
