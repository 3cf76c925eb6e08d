// NodeResourcesBalancedAllocation: favour nodes whose resource usage fractions (after placing the
// pod) are close to each other. Uses the plain requests (no non-zero defaults); best-effort pods
// (requesting none of the resources) are not scored by it, as in current kube-scheduler.
import type { PodInfo, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { StateKey } from './cycle-state.ts';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { DEFAULT_RESOURCES, ResourceAllocationScorer, balancedScorer, podRequestList, type ResourceSpec } from './resource-allocation.ts';

export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';
const PRE_SCORE_KEY = 'PreScore' + NODE_RESOURCES_BALANCED_ALLOCATION;

interface PreScoreState {
  requests: number[];
  bestEffort: boolean;
}

export interface BalancedAllocationOptions {
  /** default cpu and memory (weights are not used by this scorer) */
  resources?: ResourceSpec[];
}

export function balancedAllocation(opts: BalancedAllocationOptions = {}): SchedulerPolicy {
  const resources = opts.resources?.length ? opts.resources : DEFAULT_RESOURCES;
  const scorer = new ResourceAllocationScorer(resources, true, balancedScorer);
  const compute = (pod: PodInfo): PreScoreState => {
    const requests = podRequestList(pod, resources, true);
    return { requests, bestEffort: requests.every((r) => r === 0) };
  };
  const key = new StateKey<PreScoreState>(PRE_SCORE_KEY);
  return {
    name: NODE_RESOURCES_BALANCED_ALLOCATION,
    events: [],
    preScore(state, pod) {
      const s = compute(pod);
      key.write(state, s);
      if (s.bestEffort) return { code: 'Skip' };
    },
    score(state, pod, node) {
      let s = key.read(state);
      if (!s) {
        s = compute(pod);
        key.write(state, s);
      }
      return s.bestEffort ? 0 : scorer.score(node, s.requests);
    },
  };
}

export interface BalancedAllocationConfig extends BaseConfig, BalancedAllocationOptions {}

export const balancedAllocationPlugin = policyPlugin<BalancedAllocationConfig>({
  name: 'node-resources-balanced-allocation',
  properties: {
    resources: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1 }, weight: { type: 'integer', minimum: 1, maximum: 100, default: 1 } },
        required: ['name'],
        additionalProperties: false,
      },
      default: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }],
    },
  },
  create: (config) => balancedAllocation(config),
});
