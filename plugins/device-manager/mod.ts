// @skiff/plugin-device-manager: the Kubernetes device-plugin API on the node (the `skiff.io/device`
// plugin providing @skiff/node-api's DeviceManagerToken), and a sample device plugin.
export { NodeDeviceManager, DEFAULT_GRACE_PERIOD_MS, SUPPORTED_VERSIONS, REASON_REGISTRATION_FAILED, type DeviceManagerOptions } from './manager.ts';
export { DeviceAllocationFailure } from './errors.ts';
export { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint, type CheckpointData, type CheckpointEntry } from './checkpoint.ts';
export { SampleDevicePlugin, idsVariable, type SamplePluginOptions } from './sample-plugin.ts';
export { findDevicePluginProto, devicePluginProto } from './proto.ts';
