// The host-path CSI driver (`skiff csi-hostpath`): volumes as xfs image files on loop devices on
// this node, served over CSI with a pluginregistration socket for the agent.
export { HostpathDriver, DriverError, HOSTPATH_DRIVER_NAME, HOSTPATH_TOPOLOGY_KEY, HOSTPATH_VERSION, EPHEMERAL_CONTEXT, sizeFor, checkCapability, type HostpathDriverOptions } from './driver.ts';
export { startHostpathDriver, registrationSocketPath, csiSocketPath, CSI_SUPPORTED_VERSIONS, type HostpathServerOptions, type RunningHostpathDriver } from './server.ts';
export { MIN_VOLUME_BYTES } from './host-ops.ts';
export { volumeIdFor } from './state.ts';
