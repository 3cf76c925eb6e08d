// @skiff/plugin-csi-provisioner: the node-local CSI provisioner, deleter and resizer (plugin.ts).
export { provisionClaim, type NodeProvisionerContext, type ProvisionOutcome } from './provision.ts';
export { reclaimVolume, resizeClaim } from './reclaim.ts';
export * from './objects.ts';
