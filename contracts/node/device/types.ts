// The Kubernetes device-plugin API (deviceplugin/v1beta1, k8s.io/kubelet/pkg/apis/deviceplugin/
// v1beta1/api.proto) as TypeScript, with the conventions of rpc.ts: protobufjs camelCases the field
// names as the .proto spells them, so `ID`, `devicesIds` (devices_ids), `availableDeviceIDs`
// (available_deviceIDs) keep their odd capitals. A later proto/deviceplugin subset keeps the field
// numbers.
//
// Two services: the agent serves Registration on `kubelet.sock` in its device-plugins directory;
// each plugin serves DevicePlugin on the socket it registered (`endpoint`, relative to that dir).
import type { Input } from '../rpc.ts';

export type { Input };

/** The API version a plugin registers with; anything else is refused. */
export const DEVICE_PLUGIN_VERSION = 'v1beta1';
/** The agent's Registration socket, in its device-plugins directory. */
export const KUBELET_SOCKET = 'kubelet.sock';

export interface DevicePluginOptions {
  /** call PreStartContainer before each container using its devices starts */
  preStartRequired: boolean;
  /** the plugin answers GetPreferredAllocation */
  getPreferredAllocationAvailable: boolean;
}

/** Registration.Register's request. */
export interface RegisterRequest {
  /** must be DEVICE_PLUGIN_VERSION */
  version: string;
  /** the plugin's socket file name, relative to the device-plugins directory */
  endpoint: string;
  /** an extended resource name, e.g. "example.com/widget" (domain-prefixed, not kubernetes.io/) */
  resourceName: string;
  options: DevicePluginOptions | null;
}

export type DeviceHealth = 'Healthy' | 'Unhealthy';

export interface Device {
  /** unique among the plugin's devices */
  ID: string;
  health: DeviceHealth;
  topology: { nodes: { ID: number }[] } | null;
}

/** One message of the ListAndWatch stream: the whole device list, every time it changes. */
export interface ListAndWatchResponse {
  devices: Device[];
}

export interface ContainerPreferredAllocationRequest {
  availableDeviceIDs: string[];
  mustIncludeDeviceIDs: string[];
  allocationSize: number;
}

export interface PreferredAllocationRequest {
  containerRequests: ContainerPreferredAllocationRequest[];
}

export interface PreferredAllocationResponse {
  containerResponses: { deviceIDs: string[] }[];
}

export interface AllocateRequest {
  /** one entry per container */
  containerRequests: { devicesIds: string[] }[];
}

export interface DeviceMount {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
}

export interface DeviceSpec {
  containerPath: string;
  hostPath: string;
  /** cgroup permissions: "r", "w", "m" combined */
  permissions: string;
}

/** What a container gets for its devices: env, mounts, device nodes, annotations, CDI devices. */
export interface ContainerAllocateResponse {
  envs: Record<string, string>;
  mounts: DeviceMount[];
  devices: DeviceSpec[];
  annotations: Record<string, string>;
  cdiDevices: { name: string }[];
}

export interface AllocateResponse {
  containerResponses: ContainerAllocateResponse[];
}
