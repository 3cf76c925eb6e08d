// @skiff/scheduler-policies: kube-scheduler's default policies, each its own scheduler-policy plugin.
import type { PluginDescriptor } from '@skiff/kernel/plugins';
import { balancedAllocationPlugin } from './balanced-allocation.ts';
import { defaultPreemptionPlugin } from './default-preemption.ts';
import { imageLocalityPlugin } from './image-locality.ts';
import { interPodAffinityPlugin } from './inter-pod-affinity.ts';
import { nodeAffinityPlugin } from './node-affinity.ts';
import { nodeNamePlugin } from './node-name.ts';
import { nodePortsPlugin } from './node-ports.ts';
import { nodeResourcesFitPlugin } from './node-resources-fit.ts';
import { nodeUnschedulablePlugin } from './node-unschedulable.ts';
import { podTopologySpreadPlugin } from './pod-topology-spread.ts';
import { prioritySortPlugin } from './priority-sort.ts';
import { taintTolerationPlugin } from './taint-toleration.ts';
import { nodeVolumeLimitsPlugin, volumeBindingPlugin, volumeRestrictionsPlugin } from './volume-plugins.ts';

export { prioritySort, prioritySortPlugin, PRIORITY_SORT } from './priority-sort.ts';
export { nodeName, nodeNamePlugin, NODE_NAME, ERR_REASON_NODE_NAME } from './node-name.ts';
export { nodeUnschedulable, nodeUnschedulablePlugin, NODE_UNSCHEDULABLE, ERR_REASON_UNSCHEDULABLE } from './node-unschedulable.ts';
export {
  nodeResourcesFit, nodeResourcesFitPlugin, NODE_RESOURCES_FIT,
  type NodeResourcesFitOptions, type NodeResourcesFitConfig, type ScoringStrategy, type ScoringStrategyType,
} from './node-resources-fit.ts';
export {
  balancedAllocation, balancedAllocationPlugin, NODE_RESOURCES_BALANCED_ALLOCATION, type BalancedAllocationOptions,
} from './balanced-allocation.ts';
export { nodeAffinity, nodeAffinityPlugin, NODE_AFFINITY, ERR_REASON_POD, type NodeAffinityOptions } from './node-affinity.ts';
export { taintToleration, taintTolerationPlugin, TAINT_TOLERATION, untoleratedTaintReason } from './taint-toleration.ts';
export { nodePorts, nodePortsPlugin, NODE_PORTS, ERR_REASON_NODE_PORTS } from './node-ports.ts';
export {
  podTopologySpread, podTopologySpreadPlugin, POD_TOPOLOGY_SPREAD,
  ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH,
} from './pod-topology-spread.ts';
export {
  interPodAffinity, interPodAffinityPlugin, INTER_POD_AFFINITY,
  ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  type InterPodAffinityOptions, type NamespaceLabels,
} from './inter-pod-affinity.ts';
export { imageLocality, imageLocalityPlugin, IMAGE_LOCALITY } from './image-locality.ts';
export {
  defaultPreemption, defaultPreemptionPlugin, findPreemption, pickOneNode, DEFAULT_PREEMPTION,
  type DefaultPreemptionOptions, type PolicyLookup, type Candidate,
} from './default-preemption.ts';
export {
  volumeBinding, topologyMatches, VOLUME_BINDING, ERR_REASON_BIND_CONFLICT, ERR_REASON_NODE_CONFLICT, ERR_REASON_NOT_ENOUGH_SPACE,
  ERR_REASON_PV_NOT_EXIST, ERR_UNBOUND_IMMEDIATE, type VolumeBindingOptions,
} from './volume-binding.ts';
export { volumeRestrictions, VOLUME_RESTRICTIONS, ERR_REASON_RWOP_CONFLICT } from './volume-restrictions.ts';
export { nodeVolumeLimits, csiVolumesOf, NODE_VOLUME_LIMITS, ERR_REASON_MAX_VOLUME_COUNT } from './node-volume-limits.ts';
export { volumeBindingPlugin, volumeRestrictionsPlugin, nodeVolumeLimitsPlugin } from './volume-plugins.ts';
export { informerListers, fixedListers, type VolumeListers, type ObjectSource } from './volume-listers.ts';
export { createPolicyDirectory, sharedPolicyDirectory, type PolicyDirectory } from './directory.ts';
export { MapCycleState } from './cycle-state.ts';
export { policyPlugin, type BaseConfig, type PolicyPluginSpec } from './plugin-kit.ts';

/** Every default policy plugin, by plugin name. */
export const defaultPolicyPlugins: Record<string, PluginDescriptor> = Object.fromEntries(
  [
    prioritySortPlugin,
    nodeNamePlugin,
    nodeUnschedulablePlugin,
    nodeResourcesFitPlugin,
    balancedAllocationPlugin,
    nodeAffinityPlugin,
    taintTolerationPlugin,
    nodePortsPlugin,
    volumeRestrictionsPlugin,
    nodeVolumeLimitsPlugin,
    volumeBindingPlugin,
    podTopologySpreadPlugin,
    interPodAffinityPlugin,
    imageLocalityPlugin,
    defaultPreemptionPlugin,
  ].map((d) => [d.name, d as PluginDescriptor]),
);
