// The device-plugin contract (namespaced as `devices` in @skiff/node-api: `Device`, `Mount` exist in
// the CRI too).
export { DeviceManagerToken, deviceAllocationReason, type DeviceManager, type DeviceAllocation, type DeviceAllocationError, type ExtendedResource, type ContainerRef } from './manager.ts';
export { DEVICE_PLUGIN_VERSION, KUBELET_SOCKET } from './types.ts';
export type * from './types.ts';
