// Shared by NodeResourcesFit's scoring strategies and NodeResourcesBalancedAllocation: per node,
// (requested-after-placing-the-pod, allocatable) for each configured resource, then a scorer over
// those vectors. kube semantics: cpu and memory use the non-zero requests (100m / 200Mi for
// containers that request none) unless `useRequested`; a scalar (extended) resource the pod does not
// request is left out; so is any resource the node does not have.
import { MAX_NODE_SCORE, type ClusterSnapshot, type NodeInfo, type PodInfo } from '@skiff/plugin-scheduler/framework';
import { NodeSum } from './node-tracker.ts';
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

const OTHER = 0;
const CPU = 1;
const MEMORY = 2;

/**
 * A resource-allocation scorer with its own scratch vectors, so scoring a node allocates nothing.
 * What each configured resource is (cpu, memory, a scalar resource) is worked out once, here, not
 * per node. Not re-entrant (scoring is synchronous).
 */
export class ResourceAllocationScorer {
  private readonly requested: Float64Array;
  private readonly allocatable: Float64Array;
  private readonly names: readonly string[];
  private readonly kinds: Uint8Array;
  private readonly scalar: readonly boolean[];

  constructor(
    readonly resources: readonly ResourceSpec[],
    private readonly useRequested: boolean,
    private readonly scorer: VectorScorer,
  ) {
    this.requested = new Float64Array(resources.length);
    this.allocatable = new Float64Array(resources.length);
    this.names = resources.map((r) => r.name);
    this.kinds = Uint8Array.from(resources, (r) => (r.name === 'cpu' ? CPU : r.name === 'memory' ? MEMORY : OTHER));
    this.scalar = resources.map((r) => isScalarResource(r.name));
  }

  /**
   * `nonZeroIsRequested`: every pod of the cluster requests exactly its non-zero cpu / memory
   * (see NonZeroExactness), so the node's requested amounts are its non-zero ones.
   */
  score(node: NodeInfo, podRequests: readonly number[], nonZeroIsRequested = false): number {
    const n = this.names.length;
    const nz = this.useRequested || nonZeroIsRequested ? undefined : nodeNonZeroRequested(node);
    const nodeAlloc = node.allocatable;
    const nodeReq = node.requested;
    const kinds = this.kinds;
    for (let i = 0; i < n; i++) {
      const podReq = podRequests[i];
      let alloc = 0;
      let req = 0;
      const kind = kinds[i];
      if (kind === CPU) {
        alloc = nodeAlloc.cpu ?? 0;
        req = (nz ? nz.cpu : (nodeReq.cpu ?? 0)) + podReq;
      } else if (kind === MEMORY) {
        alloc = nodeAlloc.memory ?? 0;
        req = (nz ? nz.memory : (nodeReq.memory ?? 0)) + podReq;
      } else if (!(podReq === 0 && this.scalar[i])) {
        const name = this.names[i];
        alloc = nodeAlloc[name] ?? 0;
        req = (nodeReq[name] ?? 0) + podReq;
      }
      if (alloc === 0) req = 0;
      this.allocatable[i] = alloc;
      this.requested[i] = req;
    }
    return this.scorer(this.requested, this.allocatable, n);
  }
}

/** Does the pod request exactly its non-zero cpu and memory (every container states both)? */
function nonZeroIsRequested(p: PodInfo): boolean {
  const nz = nonZeroRequestsOf(p);
  return nz.cpu === (p.requests.cpu ?? 0) && nz.memory === (p.requests.memory ?? 0);
}

/**
 * Whether every pod of the cluster requests exactly its non-zero cpu / memory — the common case,
 * and then a node's non-zero requested amounts (kube's NonZeroRequested) are just its requested
 * ones, with no per-node lookup. A cluster-wide count of the pods that do not, kept up to date
 * node by node.
 */
export class NonZeroExactness {
  private readonly inexact = new NodeSum((node) => {
    let n = 0;
    for (const p of node.pods) if (!nonZeroIsRequested(p)) n++;
    return n;
  });

  /** `token`: the cycle's state (a second call in the same cycle is free). */
  holds(snapshot: ClusterSnapshot, token?: object): boolean {
    return this.inexact.value(snapshot, token) === 0;
  }
}

// ---------------------------------------------------------------------------------------------
// The strategies

/** LeastAllocated: favour nodes with more free capacity. */
export const leastAllocatedScorer = (resources: readonly ResourceSpec[]): VectorScorer => {
  const weights = Float64Array.from(resources, (r) => r.weight);
  return (requested, allocatable, n) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < n; i++) {
      const capacity = allocatable[i];
      if (capacity === 0) continue;
      const req = requested[i];
      const w = weights[i];
      // leastRequestedScore
      if (req <= capacity) nodeScore += Math.floor(((capacity - req) * MAX_NODE_SCORE) / capacity) * w;
      weightSum += w;
    }
    return weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum);
  };
};

/** MostAllocated: favour fuller nodes (bin packing). */
export const mostAllocatedScorer = (resources: readonly ResourceSpec[]): VectorScorer => {
  const weights = Float64Array.from(resources, (r) => r.weight);
  return (requested, allocatable, n) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < n; i++) {
      const capacity = allocatable[i];
      if (capacity === 0) continue;
      const req = requested[i] > capacity ? capacity : requested[i];
      const w = weights[i];
      // mostRequestedScore
      nodeScore += Math.floor((req * MAX_NODE_SCORE) / capacity) * w;
      weightSum += w;
    }
    return weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum);
  };
};

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
