// The CSI contract of the node agent (issue 14; designed here, implemented by the CSI work): what a
// `skiff.io/csi` plugin provides — the CSI drivers registered with this node, each as a client that
// makes the CSI calls — and what the kubelet's volume code and the provisioner consume.
//
//   driver process ── pluginregistration.v1 (registration.ts) ──▶ skiff.io/csi plugin
//                  ◀── csi.v1 Identity / Controller / Node ─────  (CsiDriverClient per driver)
//   kubelet volumes (pod-config) ── CsiDriversToken ──▶ stage / publish / unpublish / unstage
//   provisioner, attacher, resizer ── CsiDriversToken ──▶ create / delete / publish / expand
//
// Failures carry a numeric gRPC `code` (rpc-status.ts) with the meaning the CSI spec gives it per
// call: ALREADY_EXISTS from CreateVolume for a name reused with other parameters, OUT_OF_RANGE for
// a capacity the driver cannot give, RESOURCE_EXHAUSTED for no space, NOT_FOUND for a volume that
// is gone (a delete or an unpublish of it is then done), FAILED_PRECONDITION for a capability the
// volume does not support. Idempotence is the spec's: every call may be repeated.
import { createServiceToken } from '@skiff/kernel/plugins';
import type { CallOptions, Input } from '../rpc.ts';
import type {
  ControllerCapability, ControllerExpandVolumeRequest, ControllerExpandVolumeResponse, ControllerPublishVolumeRequest,
  CreateVolumeRequest, GetCapacityRequest, GetCapacityResponse, GetPluginInfoResponse, NodeCapability, NodeExpandVolumeRequest,
  NodeGetInfoResponse, NodeGetVolumeStatsResponse, NodePublishVolumeRequest, NodeStageVolumeRequest, PluginCapability, ProbeResponse,
  StringMap, Volume,
} from './types.ts';

export interface CsiIdentity {
  getPluginInfo(opts?: CallOptions): Promise<GetPluginInfoResponse>;
  getPluginCapabilities(opts?: CallOptions): Promise<PluginCapability[]>;
  probe(opts?: CallOptions): Promise<ProbeResponse>;
}

/** Present only on drivers with the CONTROLLER_SERVICE plugin capability. */
export interface CsiController {
  controllerGetCapabilities(opts?: CallOptions): Promise<ControllerCapability[]>;
  /** Idempotent by `name`: the same request answers the same volume. */
  createVolume(request: Input<CreateVolumeRequest>, opts?: CallOptions): Promise<Volume>;
  /** Idempotent: NOT_FOUND is success. */
  deleteVolume(volumeId: string, secrets?: StringMap, opts?: CallOptions): Promise<void>;
  /** Attach to a node (PUBLISH_UNPUBLISH_VOLUME drivers); resolves with the publish context the node calls get. */
  controllerPublishVolume(request: Input<ControllerPublishVolumeRequest>, opts?: CallOptions): Promise<StringMap>;
  controllerUnpublishVolume(volumeId: string, nodeId: string, secrets?: StringMap, opts?: CallOptions): Promise<void>;
  controllerExpandVolume(request: Input<ControllerExpandVolumeRequest>, opts?: CallOptions): Promise<ControllerExpandVolumeResponse>;
  getCapacity(request: Input<GetCapacityRequest>, opts?: CallOptions): Promise<GetCapacityResponse>;
}

export interface CsiNode {
  nodeGetInfo(opts?: CallOptions): Promise<NodeGetInfoResponse>;
  nodeGetCapabilities(opts?: CallOptions): Promise<NodeCapability[]>;
  /** Only for STAGE_UNSTAGE_VOLUME drivers: once per volume and node, before any publish. */
  nodeStageVolume(request: Input<NodeStageVolumeRequest>, opts?: CallOptions): Promise<void>;
  nodeUnstageVolume(volumeId: string, stagingTargetPath: string, opts?: CallOptions): Promise<void>;
  /** Once per pod using the volume: makes it appear at `targetPath`. */
  nodePublishVolume(request: Input<NodePublishVolumeRequest>, opts?: CallOptions): Promise<void>;
  nodeUnpublishVolume(volumeId: string, targetPath: string, opts?: CallOptions): Promise<void>;
  /** Grows the filesystem after ControllerExpandVolume said nodeExpansionRequired; resolves with the new size. */
  nodeExpandVolume(request: Input<NodeExpandVolumeRequest>, opts?: CallOptions): Promise<number>;
  nodeGetVolumeStats(volumeId: string, volumePath: string, stagingTargetPath?: string, opts?: CallOptions): Promise<NodeGetVolumeStatsResponse>;
}

/** One registered driver: its identity, and clients for the services it serves. */
export interface CsiDriverClient extends CsiIdentity, CsiNode {
  /** the driver name (PluginInfo.name = GetPluginInfo name) */
  readonly name: string;
  /** its socket, e.g. unix:///var/lib/skiff/plugins/hostpath.csi.skiff.io/csi.sock */
  readonly endpoint: string;
  /** undefined when the driver has no CONTROLLER_SERVICE */
  readonly controller: CsiController | undefined;
}

/** What the registry knows of a registered driver (what CSINode's spec.drivers[] says of it). */
export interface RegisteredCsiDriver {
  name: string;
  endpoint: string;
  /** the CSI versions it registered with */
  versions: string[];
  /** NodeGetInfo at registration */
  nodeId: string;
  maxVolumesPerNode: number;
  topologyKeys: string[];
}

export type CsiDriverEvent = { type: 'Registered' | 'Deregistered'; driver: RegisteredCsiDriver };

/** The CSI drivers registered with this node's agent (through pluginregistration.v1). */
export interface CsiDrivers {
  /** The client of a registered driver, or undefined (a pod using it then waits: FailedMount). */
  get(name: string): CsiDriverClient | undefined;
  list(): RegisteredCsiDriver[];
  /** Registrations and their ends (a driver's socket gone); returns what unsubscribes. */
  onChange(listener: (event: CsiDriverEvent) => void): () => void;
}

/** The drivers of this node, provided by the `skiff.io/csi` plugin. */
export const CsiDriversToken = createServiceToken<CsiDrivers>('skiff.csi.drivers');
