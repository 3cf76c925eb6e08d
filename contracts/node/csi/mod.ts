// The CSI contract (namespaced as `csi` in @skiff/node-api: its message names — Volume, Topology,
// NodeGetInfoResponse — would clash with the CRI's otherwise).
export { CsiDriversToken, type CsiDrivers, type CsiDriverClient, type CsiIdentity, type CsiController, type CsiNode, type RegisteredCsiDriver, type CsiDriverEvent } from './drivers.ts';
export { PluginType, type PluginInfo, type RegistrationStatus } from './registration.ts';
export type * from './types.ts';
