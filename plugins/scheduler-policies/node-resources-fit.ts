// NodeResourcesFit: Filter rejects nodes without room for the pod's requests (cpu, memory,
// ephemeral-storage, extended resources) or with no pod slot left; Score ranks nodes by a
// strategy: LeastAllocated (default), MostAllocated or RequestedToCapacityRatio.
//
// Hot path: Filter and Score run for every (pod, node). The pod's request vector is computed once
// per cycle (PreFilter / PreScore, into the CycleState); the per-node work allocates nothing on
// success.
import type { CycleState, NodeInfo, PodInfo, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import { StateKey } from './cycle-state.ts';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import {
  DEFAULT_RESOURCES,
  DEFAULT_SHAPE,
  NonZeroExactness,
  ResourceAllocationScorer,
  leastAllocatedScorer,
  mostAllocatedScorer,
  podRequestList,
  requestedToCapacityRatioScorer,
  type ResourceSpec,
  type UtilizationShapePoint,
} from './resource-allocation.ts';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const insufficientReason = (resource: string) => `Insufficient ${resource}`;

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

export interface ScoringStrategy {
  type?: ScoringStrategyType;
  /** resources scored and their weights; default cpu:1, memory:1 */
  resources?: ResourceSpec[];
  requestedToCapacityRatio?: { shape?: UtilizationShapePoint[] };
}

export interface NodeResourcesFitOptions {
  /** extended resources not checked by Filter */
  ignoredResources?: string[];
  /** extended resource groups (the part before "/") not checked by Filter */
  ignoredResourceGroups?: string[];
  scoringStrategy?: ScoringStrategy;
}

const PRE_FILTER_KEY = 'PreFilter' + NODE_RESOURCES_FIT;
const PRE_SCORE_KEY = 'PreScore' + NODE_RESOURCES_FIT;

/** The pod's non-zero requests to check, and the reason to give for each. Computed once per cycle. */
interface FitState {
  names: string[];
  amounts: number[];
  reasons: string[];
  /** the same requests split for the per-node check: cpu and memory (0: not checked), and the others (by index into names) */
  cpu: number;
  memory: number;
  others: number[];
}

interface ScoreState {
  /** the pod's (non-zero) request per scored resource */
  requests: number[];
  /** the nodes' non-zero requested amounts are their requested ones (no pod of the cluster lacks a cpu / memory request) */
  nonZeroIsRequested: boolean;
}

const ORDER: Record<string, number> = { cpu: 0, memory: 1, 'ephemeral-storage': 2 };

export function isExtendedResourceName(name: string): boolean {
  return name.includes('/') && !name.includes('kubernetes.io/') && !name.startsWith('requests.');
}

function computeFitState(pod: PodInfo, ignored: ReadonlySet<string>, ignoredGroups: ReadonlySet<string>): FitState {
  const names = Object.keys(pod.requests).filter((name) => {
    if (name === 'pods' || !(pod.requests[name] > 0)) return false;
    if (isExtendedResourceName(name) && (ignored.has(name) || ignoredGroups.has(name.split('/')[0]))) return false;
    return true;
  });
  names.sort((a, b) => (ORDER[a] ?? 3) - (ORDER[b] ?? 3) || (a < b ? -1 : a > b ? 1 : 0));
  const amounts = names.map((n) => pod.requests[n]);
  let cpu = 0;
  let memory = 0;
  const others: number[] = [];
  names.forEach((n, i) => {
    if (n === 'cpu') cpu = amounts[i];
    else if (n === 'memory') memory = amounts[i];
    else others.push(i);
  });
  return { names, amounts, reasons: names.map(insufficientReason), cpu, memory, others };
}

/** The reasons the pod does not fit the node ([] when it fits): kube's fitsRequest. */
export function insufficientResources(s: FitState, node: NodeInfo): string[] | undefined {
  let reasons: string[] | undefined;
  const maxPods = node.allocatable.pods;
  // a node that does not report a pod capacity is not limited (kubelets always report one)
  if (maxPods !== undefined && node.pods.length + 1 > maxPods) (reasons ??= []).push(REASON_TOO_MANY_PODS);
  const { names, amounts } = s;
  for (let i = 0; i < names.length; i++) {
    const free = (node.allocatable[names[i]] ?? 0) - (node.requested[names[i]] ?? 0);
    if (amounts[i] > free) (reasons ??= []).push(s.reasons[i]);
  }
  return reasons;
}

/** Does the pod fit the node? The same test as insufficientResources, without building reasons (the hot path). */
function fits(s: FitState, node: NodeInfo): boolean {
  const alloc = node.allocatable;
  const req = node.requested;
  const maxPods = alloc.pods;
  if (maxPods !== undefined && node.pods.length + 1 > maxPods) return false;
  if (s.cpu > 0 && s.cpu > (alloc.cpu ?? 0) - (req.cpu ?? 0)) return false;
  if (s.memory > 0 && s.memory > (alloc.memory ?? 0) - (req.memory ?? 0)) return false;
  const others = s.others;
  for (let k = 0; k < others.length; k++) {
    const i = others[k];
    const name = s.names[i];
    if (s.amounts[i] > (alloc[name] ?? 0) - (req[name] ?? 0)) return false;
  }
  return true;
}

export function nodeResourcesFit(opts: NodeResourcesFitOptions = {}): SchedulerPolicy {
  const ignored = new Set(opts.ignoredResources ?? []);
  const ignoredGroups = new Set(opts.ignoredResourceGroups ?? []);
  const strategy = opts.scoringStrategy ?? {};
  const resources = strategy.resources?.length ? strategy.resources : DEFAULT_RESOURCES;
  const type = strategy.type ?? 'LeastAllocated';
  const vectorScorer =
    type === 'MostAllocated'
      ? mostAllocatedScorer(resources)
      : type === 'RequestedToCapacityRatio'
        ? requestedToCapacityRatioScorer(resources, strategy.requestedToCapacityRatio?.shape?.length ? strategy.requestedToCapacityRatio.shape : DEFAULT_SHAPE)
        : type === 'LeastAllocated'
          ? leastAllocatedScorer(resources)
          : undefined;
  if (!vectorScorer) throw new Error(`${NODE_RESOURCES_FIT}: unknown scoring strategy ${JSON.stringify(type)}`);
  const scorer = new ResourceAllocationScorer(resources, false, vectorScorer);

  const fitKey = new StateKey<FitState>(PRE_FILTER_KEY);
  const scoreKey = new StateKey<ScoreState>(PRE_SCORE_KEY);
  const exactness = new NonZeroExactness();
  const fitState = (state: CycleState, pod: PodInfo) => {
    let s = fitKey.read(state);
    if (!s) {
      s = computeFitState(pod, ignored, ignoredGroups);
      fitKey.write(state, s);
    }
    return s;
  };

  return {
    name: NODE_RESOURCES_FIT,
    events: ['PodDelete', 'PodUpdate', 'NodeAdd', 'NodeUpdate'],
    preFilter(state, pod) {
      fitKey.write(state, computeFitState(pod, ignored, ignoredGroups));
    },
    filter(state, pod, node) {
      const s = fitState(state, pod);
      if (fits(s, node)) return SUCCESS;
      const reasons = insufficientResources(s, node);
      return reasons ? { code: 'Unschedulable', reasons } : SUCCESS;
    },
    preScore(state, pod, _nodes, snapshot) {
      scoreKey.write(state, { requests: podRequestList(pod, resources, false), nonZeroIsRequested: exactness.holds(snapshot, state) });
    },
    score(state, pod, node) {
      let s = scoreKey.read(state);
      if (!s) {
        s = { requests: podRequestList(pod, resources, false), nonZeroIsRequested: false };
        scoreKey.write(state, s);
      }
      return scorer.score(node, s.requests, s.nonZeroIsRequested);
    },
  };
}

export interface NodeResourcesFitConfig extends BaseConfig, NodeResourcesFitOptions {}

const resourceSpecSchema = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1 }, weight: { type: 'integer', minimum: 1, maximum: 100, default: 1 } },
  required: ['name'],
  additionalProperties: false,
};

export const nodeResourcesFitPlugin = policyPlugin<NodeResourcesFitConfig>({
  name: 'node-resources-fit',
  properties: {
    ignoredResources: { type: 'array', items: { type: 'string' }, default: [] },
    ignoredResourceGroups: { type: 'array', items: { type: 'string' }, default: [] },
    scoringStrategy: {
      type: 'object',
      properties: {
        type: { enum: ['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'], default: 'LeastAllocated' },
        resources: { type: 'array', items: resourceSpecSchema, default: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] },
        requestedToCapacityRatio: {
          type: 'object',
          properties: {
            shape: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                properties: { utilization: { type: 'integer', minimum: 0, maximum: 100 }, score: { type: 'integer', minimum: 0, maximum: 10 } },
                required: ['utilization', 'score'],
                additionalProperties: false,
              },
            },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
      default: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] },
    },
  },
  create: (config) => nodeResourcesFit(config),
});
