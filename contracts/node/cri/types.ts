// TypeScript shapes of the CRI runtime.v1 messages in proto/cri/api.proto (the protocol, not any
// runtime's specifics), camelCased, as every CriRuntime answers them: every scalar, list and map is
// present (zero values included, as proto3 cannot tell them from "unset"), an absent sub-message is
// `null`, int64/uint64 are numbers, enums are their names, bytes are Uint8Array. Requests take
// `Input<T>`: any subset, in the same shapes.

import type { Input } from '../rpc.ts';

export type { Input };

export type Labels = Record<string, string>;
/** int64 nanoseconds since the Unix epoch, as a double: exact to ~256 ns for present-day dates. */
export type UnixNanos = number;

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type ProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';

// --- version, status -------------------------------------------------------------------------

export interface VersionResponse { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }
export interface RuntimeCondition { type: string; status: boolean; reason: string; message: string }
export interface RuntimeHandler { name: string; features: { recursiveReadOnlyMounts: boolean; userNamespaces: boolean } | null }
export interface StatusResponse {
  status: { conditions: RuntimeCondition[] } | null;
  /** JSON strings, only with verbose; containerd: "config" (its CRI config), "cniconfig", ... */
  info: Record<string, string>;
  runtimeHandlers: RuntimeHandler[];
}

// --- shared ----------------------------------------------------------------------------------

export interface DNSConfig { servers: string[]; searches: string[]; options: string[] }
export interface PortMapping { protocol: Protocol; containerPort: number; hostPort: number; hostIp: string }
export interface Mount { containerPath: string; hostPath: string; readonly: boolean; selinuxRelabel: boolean; propagation: MountPropagation }
export interface NamespaceOption { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode; targetId: string }
export interface Int64Value { value: number }
export interface UInt64Value { value: number }
export interface SELinuxOption { user: string; role: string; type: string; level: string }
export interface SecurityProfile { profileType: ProfileType; localhostRef: string }
export interface KeyValue { key: string; value: string }
export interface ImageSpec { image: string; annotations: Labels; userSpecifiedImage: string }
export interface HugepageLimit { pageSize: string; limit: number }
export interface LinuxContainerResources {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: HugepageLimit[];
  /** cgroup v2 files, e.g. {"memory.high": "..."} */
  unified: Labels;
  memorySwapLimitInBytes: number;
}

// --- pod sandboxes ---------------------------------------------------------------------------

export interface LinuxSandboxSecurityContext {
  namespaceOptions: NamespaceOption | null;
  selinuxOptions: SELinuxOption | null;
  runAsUser: Int64Value | null;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  privileged: boolean;
  runAsGroup: Int64Value | null;
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
}
export interface LinuxPodSandboxConfig {
  /** cgroupfs syntax ("/kubepods/besteffort/pod<uid>"); a systemd-driver runtime converts it */
  cgroupParent: string;
  securityContext: LinuxSandboxSecurityContext | null;
  sysctls: Labels;
  overhead: LinuxContainerResources | null;
  resources: LinuxContainerResources | null;
}
export interface PodSandboxMetadata { name: string; uid: string; namespace: string; attempt: number }
export interface PodSandboxConfig {
  metadata: PodSandboxMetadata | null;
  /** may be empty only with a NODE network namespace */
  hostname: string;
  logDirectory: string;
  dnsConfig: DNSConfig | null;
  portMappings: PortMapping[];
  labels: Labels;
  annotations: Labels;
  linux: LinuxPodSandboxConfig | null;
}
export interface RunPodSandboxRequest { config: PodSandboxConfig | null; runtimeHandler: string }
export interface PodSandboxNetworkStatus { ip: string; additionalIps: { ip: string }[] }
export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: UnixNanos;
  network: PodSandboxNetworkStatus | null;
  linux: { namespaces: { options: NamespaceOption | null } | null } | null;
  labels: Labels;
  annotations: Labels;
  runtimeHandler: string;
}
export interface PodSandboxStatusResponse { status: PodSandboxStatus | null; info: Record<string, string> }
export interface PodSandboxFilter { id: string; state: { state: PodSandboxState } | null; labelSelector: Labels }
export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: UnixNanos;
  labels: Labels;
  annotations: Labels;
  runtimeHandler: string;
}

// --- containers ------------------------------------------------------------------------------

export interface Capability { addCapabilities: string[]; dropCapabilities: string[]; addAmbientCapabilities: string[] }
export interface LinuxContainerSecurityContext {
  capabilities: Capability | null;
  privileged: boolean;
  namespaceOptions: NamespaceOption | null;
  selinuxOptions: SELinuxOption | null;
  runAsUser: Int64Value | null;
  runAsUsername: string;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  noNewPrivs: boolean;
  runAsGroup: Int64Value | null;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
}
export interface ContainerMetadata { name: string; attempt: number }
export interface Device { containerPath: string; hostPath: string; permissions: string }
export interface ContainerConfig {
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  command: string[];
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  devices: Device[];
  labels: Labels;
  annotations: Labels;
  /** relative to the sandbox's logDirectory */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux: { resources: LinuxContainerResources | null; securityContext: LinuxContainerSecurityContext | null } | null;
}
export interface CreateContainerRequest { podSandboxId: string; config: ContainerConfig | null; sandboxConfig: PodSandboxConfig | null }
export interface ContainerFilter { id: string; state: { state: ContainerState } | null; podSandboxId: string; labelSelector: Labels }
export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  imageRef: string;
  state: ContainerState;
  createdAt: UnixNanos;
  labels: Labels;
  annotations: Labels;
  imageId: string;
}
export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata | null;
  state: ContainerState;
  createdAt: UnixNanos;
  /** 0 = not started */
  startedAt: UnixNanos;
  /** 0 = not finished */
  finishedAt: UnixNanos;
  exitCode: number;
  image: ImageSpec | null;
  imageRef: string;
  /** "OOMKilled", "Completed", "Error", ... */
  reason: string;
  message: string;
  labels: Labels;
  annotations: Labels;
  mounts: Mount[];
  /** absolute path on the host */
  logPath: string;
  resources: { linux: LinuxContainerResources | null } | null;
}
export interface ContainerStatusResponse { status: ContainerStatus | null; info: Record<string, string> }
export interface UpdateContainerResourcesRequest { containerId: string; linux: LinuxContainerResources | null; annotations: Labels }

// --- exec, attach, port-forward --------------------------------------------------------------

export interface ExecSyncRequest { containerId: string; cmd: string[]; /** seconds, 0 = none */ timeout: number }
export interface ExecSyncResponse { stdout: Uint8Array; stderr: Uint8Array; exitCode: number }
export interface ExecRequest { containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
export interface AttachRequest { containerId: string; stdin: boolean; tty: boolean; stdout: boolean; stderr: boolean }
/** the runtime's streaming-server URL for one session (SPDY/WebSocket, as kubectl exec speaks) */
export interface StreamingResponse { url: string }

// --- stats -----------------------------------------------------------------------------------

export interface FilesystemUsage { timestamp: UnixNanos; fsId: { mountpoint: string } | null; usedBytes: UInt64Value | null; inodesUsed: UInt64Value | null }
export interface CpuUsage { timestamp: UnixNanos; usageCoreNanoSeconds: UInt64Value | null; usageNanoCores: UInt64Value | null }
export interface MemoryUsage {
  timestamp: UnixNanos;
  workingSetBytes: UInt64Value | null;
  availableBytes: UInt64Value | null;
  usageBytes: UInt64Value | null;
  rssBytes: UInt64Value | null;
  pageFaults: UInt64Value | null;
  majorPageFaults: UInt64Value | null;
}
export interface ContainerStats {
  attributes: { id: string; metadata: ContainerMetadata | null; labels: Labels; annotations: Labels } | null;
  cpu: CpuUsage | null;
  memory: MemoryUsage | null;
  writableLayer: FilesystemUsage | null;
}
export interface ContainerStatsFilter { id: string; podSandboxId: string; labelSelector: Labels }

// --- images ----------------------------------------------------------------------------------

export interface Image {
  /** the image ID (containerd: config digest); what imageRef/imageId fields refer to */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  uid: Int64Value | null;
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
}
export interface ImageStatusResponse { image: Image | null; info: Record<string, string> }
export interface AuthConfig { username: string; password: string; auth: string; serverAddress: string; identityToken: string; registryToken: string }
export interface PullImageRequest { image: ImageSpec | null; auth: AuthConfig | null; sandboxConfig: PodSandboxConfig | null }
export interface ImageFsInfoResponse { imageFilesystems: FilesystemUsage[]; containerFilesystems: FilesystemUsage[] }
