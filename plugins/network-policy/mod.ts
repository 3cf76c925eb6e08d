// @skiff/plugin-network-policy: NetworkPolicy (networking.k8s.io/v1) enforced on each node in the
// `np-` objects of `table inet skiff`: ingress and egress rules, pod and namespace selectors, ipBlock
// with except, ports, port ranges and named ports; default allow until a policy selects a pod.
export { default, default as networkPolicyPlugin, configSchema, type NetworkPolicyConfig } from './plugin.ts';
export { Enforcer, type EnforcerOptions, type SyncReport } from './enforcer.ts';
export { compile, policyChain, PREFIX, FORWARD_CHAIN, INGRESS_CHAIN, MAP_INGRESS, MAP_EGRESS, type ModelInput, type PolicyWarning, type Compiled } from './model.ts';
