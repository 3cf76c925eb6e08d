// The CSI protocol (spec v1.x, package csi.v1) as TypeScript: the messages of the Identity,
// Controller and Node services Skiff speaks to drivers, camelCased with the conventions of rpc.ts
// (a later proto/csi/csi.proto subset keeps the spec's field numbers; these are its shapes).
// Enums are their names. Requests take `Input<T>`.
import type { Input } from '../rpc.ts';

export type { Input };

export type StringMap = Record<string, string>;

// --- shared ----------------------------------------------------------------------------------

export type AccessMode =
  | 'UNKNOWN'
  | 'SINGLE_NODE_WRITER'
  | 'SINGLE_NODE_READER_ONLY'
  | 'MULTI_NODE_READER_ONLY'
  | 'MULTI_NODE_SINGLE_WRITER'
  | 'MULTI_NODE_MULTI_WRITER'
  | 'SINGLE_NODE_SINGLE_WRITER'
  | 'SINGLE_NODE_MULTI_WRITER';

/** Exactly one of `block` and `mount` is set. */
export interface VolumeCapability {
  block: Record<string, never> | null;
  mount: { fsType: string; mountFlags: string[]; volumeMountGroup: string } | null;
  accessMode: { mode: AccessMode } | null;
}

export interface CapacityRange {
  requiredBytes: number;
  /** 0: no limit */
  limitBytes: number;
}

/** Topology segments, e.g. {"topology.hostpath.csi/node": "node-a"}. */
export interface Topology {
  segments: StringMap;
}

export interface TopologyRequirement {
  requisite: Topology[];
  preferred: Topology[];
}

export interface VolumeContentSource {
  snapshot: { snapshotId: string } | null;
  volume: { volumeId: string } | null;
}

export interface Volume {
  capacityBytes: number;
  volumeId: string;
  /** passed back to the node calls as-is */
  volumeContext: StringMap;
  contentSource: VolumeContentSource | null;
  accessibleTopology: Topology[];
}

// --- Identity --------------------------------------------------------------------------------

export interface GetPluginInfoResponse {
  /** the driver name, e.g. "hostpath.csi.skiff.io" (domain notation, at most 63 characters) */
  name: string;
  vendorVersion: string;
  manifest: StringMap;
}

export type PluginCapability =
  | { service: { type: 'UNKNOWN' | 'CONTROLLER_SERVICE' | 'VOLUME_ACCESSIBILITY_CONSTRAINTS' | 'GROUP_CONTROLLER_SERVICE' }; volumeExpansion: null }
  | { service: null; volumeExpansion: { type: 'UNKNOWN' | 'ONLINE' | 'OFFLINE' } };

export interface ProbeResponse {
  /** null: the driver does not say (treated as ready) */
  ready: { value: boolean } | null;
}

// --- Controller ------------------------------------------------------------------------------

export interface CreateVolumeRequest {
  /** idempotency key: the CO's name for the volume (Skiff: "pvc-<claim uid>") */
  name: string;
  capacityRange: CapacityRange | null;
  volumeCapabilities: VolumeCapability[];
  /** the StorageClass's parameters */
  parameters: StringMap;
  secrets: StringMap;
  volumeContentSource: VolumeContentSource | null;
  accessibilityRequirements: TopologyRequirement | null;
  mutableParameters: StringMap;
}

export interface ControllerPublishVolumeRequest {
  volumeId: string;
  nodeId: string;
  volumeCapability: VolumeCapability | null;
  readonly: boolean;
  secrets: StringMap;
  volumeContext: StringMap;
}

export interface ControllerExpandVolumeRequest {
  volumeId: string;
  capacityRange: CapacityRange | null;
  secrets: StringMap;
  volumeCapability: VolumeCapability | null;
}

export interface ControllerExpandVolumeResponse {
  capacityBytes: number;
  /** the node must grow the filesystem too (NodeExpandVolume) */
  nodeExpansionRequired: boolean;
}

export interface GetCapacityRequest {
  volumeCapabilities: VolumeCapability[];
  parameters: StringMap;
  accessibleTopology: Topology | null;
}

export interface GetCapacityResponse {
  availableCapacity: number;
  /** 0: not reported */
  maximumVolumeSize: { value: number } | null;
  minimumVolumeSize: { value: number } | null;
}

export type ControllerCapability =
  | 'UNKNOWN'
  | 'CREATE_DELETE_VOLUME'
  | 'PUBLISH_UNPUBLISH_VOLUME'
  | 'LIST_VOLUMES'
  | 'GET_CAPACITY'
  | 'CREATE_DELETE_SNAPSHOT'
  | 'LIST_SNAPSHOTS'
  | 'CLONE_VOLUME'
  | 'PUBLISH_READONLY'
  | 'EXPAND_VOLUME'
  | 'LIST_VOLUMES_PUBLISHED_NODES'
  | 'VOLUME_CONDITION'
  | 'GET_VOLUME'
  | 'SINGLE_NODE_MULTI_WRITER'
  | 'MODIFY_VOLUME';

// --- Node ------------------------------------------------------------------------------------

export interface NodeStageVolumeRequest {
  volumeId: string;
  /** what ControllerPublishVolume returned */
  publishContext: StringMap;
  /** a directory per volume, global to the node */
  stagingTargetPath: string;
  volumeCapability: VolumeCapability | null;
  secrets: StringMap;
  volumeContext: StringMap;
}

export interface NodePublishVolumeRequest {
  volumeId: string;
  publishContext: StringMap;
  /** set when the driver has STAGE_UNSTAGE_VOLUME */
  stagingTargetPath: string;
  /** the pod's volume directory the driver mounts the volume at */
  targetPath: string;
  volumeCapability: VolumeCapability | null;
  readonly: boolean;
  secrets: StringMap;
  /** with CSIDriver podInfoOnMount: csi.storage.k8s.io/pod.name, .../pod.namespace, .../pod.uid, .../ephemeral */
  volumeContext: StringMap;
}

export interface NodeExpandVolumeRequest {
  volumeId: string;
  volumePath: string;
  capacityRange: CapacityRange | null;
  stagingTargetPath: string;
  volumeCapability: VolumeCapability | null;
  secrets: StringMap;
}

export interface VolumeUsage {
  available: number;
  total: number;
  used: number;
  unit: 'UNKNOWN' | 'BYTES' | 'INODES';
}

export interface NodeGetVolumeStatsResponse {
  usage: VolumeUsage[];
  volumeCondition: { abnormal: boolean; message: string } | null;
}

export type NodeCapability =
  | 'UNKNOWN'
  | 'STAGE_UNSTAGE_VOLUME'
  | 'GET_VOLUME_STATS'
  | 'EXPAND_VOLUME'
  | 'VOLUME_CONDITION'
  | 'SINGLE_NODE_MULTI_WRITER'
  | 'VOLUME_MOUNT_GROUP';

export interface NodeGetInfoResponse {
  /** the driver's name for this node (CSINode's spec.drivers[].nodeID; ControllerPublishVolume's nodeId) */
  nodeId: string;
  /** 0: no limit (the scheduler's NodeVolumeLimits reads it from CSINode) */
  maxVolumesPerNode: number;
  accessibleTopology: Topology | null;
}
