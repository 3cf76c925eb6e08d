// Shared by NodeResourcesFit's scoring strategies and NodeResourcesBalancedAllocation: per node,
// (requested-after-placing-the-pod, allocatable) for each configured resource, then a scorer over
// those vectors. kube semantics: cpu and memory use the non-zero requests (100m / 200Mi for
// containers that request none) unless `useRequested`; a scalar (extended) resource the pod does not
// request is left out; so is any resource the node does not have.
import { MAX_NODE_SCORE, type NodeInfo, type PodInfo } from '@skiff/plugin-scheduler/framework';
import { nodeNonZeroRequested, nonZeroRequestsOf } from './pod-spec.ts';

export interface ResourceSpec {
  name: string;
  weight: number;
}

export const DEFAULT_RESOURCES: readonly ResourceSpec[] = Object.freeze([
  Object.freeze({ name: 'cpu', weight: 1 }),
  Object.freeze({ name: 'memory', weight: 1 }),
]);

const NATIVE = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);
export const isScalarResource = (name: string) => !NATIVE.has(name);

/** The pod's request for each resource, in `resources` order (computed once per cycle). */
export function podRequestList(pod: PodInfo, resources: readonly ResourceSpec[], useRequested: boolean): number[] {
  const nz = useRequested ? undefined : nonZeroRequestsOf(pod);
  return resources.map((r) => {
    if (nz && r.name === 'cpu') return nz.cpu;
    if (nz && r.name === 'memory') return nz.memory;
    return pod.requests[r.name] ?? 0;
  });
}

/** A scorer over requested/allocatable vectors (entries with allocatable 0 are to be skipped). */
export type VectorScorer = (requested: Float64Array, allocatable: Float64Array, n: number) => number;

/**
 * A resource-allocation scorer with its own scratch vectors, so scoring a node allocates nothing.
 * Not re-entrant (scoring is synchronous).
 */
export class ResourceAllocationScorer {
  private readonly requested: Float64Array;
  private readonly allocatable: Float64Array;

  constructor(
    readonly resources: readonly ResourceSpec[],
    private readonly useRequested: boolean,
    private readonly scorer: VectorScorer,
  ) {
    this.requested = new Float64Array(resources.length);
    this.allocatable = new Float64Array(resources.length);
  }

  score(node: NodeInfo, podRequests: readonly number[]): number {
    const n = this.resources.length;
    const nz = this.useRequested ? undefined : nodeNonZeroRequested(node);
    for (let i = 0; i < n; i++) {
      const name = this.resources[i].name;
      const podReq = podRequests[i];
      let alloc = 0;
      let req = 0;
      if (!(podReq === 0 && isScalarResource(name))) {
        alloc = node.allocatable[name] ?? 0;
        if (nz && name === 'cpu') req = nz.cpu + podReq;
        else if (nz && name === 'memory') req = nz.memory + podReq;
        else req = (node.requested[name] ?? 0) + podReq;
      }
      if (alloc === 0) req = 0;
      this.allocatable[i] = alloc;
      this.requested[i] = req;
    }
    return this.scorer(this.requested, this.allocatable, n);
  }
}

// ---------------------------------------------------------------------------------------------
// The strategies

function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  if (requested > capacity) requested = capacity;
  return Math.floor((requested * MAX_NODE_SCORE) / capacity);
}

function weighted(resources: readonly ResourceSpec[], per: (req: number, cap: number) => number): VectorScorer {
  return (requested, allocatable, n) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < n; i++) {
      if (allocatable[i] === 0) continue;
      const w = resources[i].weight;
      nodeScore += per(requested[i], allocatable[i]) * w;
      weightSum += w;
    }
    return weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum);
  };
}

/** LeastAllocated: favour nodes with more free capacity. */
export const leastAllocatedScorer = (resources: readonly ResourceSpec[]) => weighted(resources, leastRequestedScore);
/** MostAllocated: favour fuller nodes (bin packing). */
export const mostAllocatedScorer = (resources: readonly ResourceSpec[]) => weighted(resources, mostRequestedScore);

export interface UtilizationShapePoint {
  /** 0..100 */
  utilization: number;
  /** 0..10 (MaxCustomPriorityScore) */
  score: number;
}

export const MAX_CUSTOM_PRIORITY_SCORE = 10;
export const DEFAULT_SHAPE: readonly UtilizationShapePoint[] = Object.freeze([
  { utilization: 0, score: 0 },
  { utilization: 100, score: 10 },
]);

/** kube's BuildBrokenLinearFunction, with Go's truncating integer division. */
export function brokenLinear(shape: readonly { utilization: number; score: number }[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      if (p <= shape[i].utilization) {
        if (i === 0) return shape[0].score;
        const a = shape[i - 1];
        const b = shape[i];
        return a.score + Math.trunc(((b.score - a.score) * (p - a.utilization)) / (b.utilization - a.utilization));
      }
    }
    return shape[shape.length - 1].score;
  };
}

/** RequestedToCapacityRatio: a piecewise-linear function of utilization (shape scores 0..10 scaled to 0..100). */
export function requestedToCapacityRatioScorer(resources: readonly ResourceSpec[], shape: readonly UtilizationShapePoint[]): VectorScorer {
  const scaled = [...shape]
    .sort((a, b) => a.utilization - b.utilization)
    .map((p) => ({ utilization: p.utilization, score: p.score * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE) }));
  const raw = brokenLinear(scaled);
  const resourceScore = (requested: number, capacity: number) =>
    capacity === 0 || requested > capacity ? raw(100) : raw(Math.trunc((requested * 100) / capacity));
  return (requested, allocatable, n) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < n; i++) {
      if (allocatable[i] === 0) continue;
      const w = resources[i].weight;
      const s = resourceScore(requested[i], allocatable[i]);
      if (s > 0) {
        nodeScore += s * w;
        weightSum += w;
      }
    }
    return weightSum === 0 ? 0 : Math.round(nodeScore / weightSum);
  };
}

/** BalancedAllocation: 1 - the standard deviation of the requested fractions, times 100. */
export const balancedScorer: VectorScorer = (requested, allocatable, n) => {
  let count = 0;
  let total = 0;
  let f0 = 0;
  let f1 = 0;
  for (let i = 0; i < n; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(1, requested[i] / allocatable[i]);
    if (count === 0) f0 = f;
    else if (count === 1) f1 = f;
    total += f;
    count++;
  }
  let std = 0;
  if (count === 2) {
    std = Math.abs((f0 - f1) / 2);
  } else if (count > 2) {
    const mean = total / count;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (allocatable[i] === 0) continue;
      const f = Math.min(1, requested[i] / allocatable[i]);
      sum += (f - mean) * (f - mean);
    }
    std = Math.sqrt(sum / count);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
};
