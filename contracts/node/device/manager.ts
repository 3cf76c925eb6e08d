// The device contract of the node agent (issue 14; designed here, implemented by the device-plugin
// work): what a `skiff.io/device` plugin provides — a device manager that serves the device-plugin
// Registration API, keeps each plugin's ListAndWatch stream, allocates devices to containers and
// checkpoints the allocations — and what the kubelet consumes:
//
//   device plugin ── v1beta1.Registration (types.ts) ──▶ skiff.io/device plugin (DeviceManager)
//   kubelet node status ── resources() / onChange ──▶ capacity and allocatable of extended resources
//   kubelet container config ── allocate() ──▶ envs, mounts, device nodes, annotations (CRI shapes)
//   kubelet pod cleanup ── release() ──▶ devices back to the pool
//
// Allocation happens when a container is created (as kubelet's devicemanager.Allocate at admission);
// the answer is in CRI shapes, so the kubelet merges it into the ContainerConfig without knowing the
// device-plugin wire format. Allocations survive an agent restart (a checkpoint file), so a running
// pod keeps its devices; a plugin that disconnects has its devices withdrawn (allocatable 0) while
// the containers already running keep theirs.
import { createServiceToken } from '@skiff/kernel/plugins';
import type { Device as CriDevice, KeyValue, Labels, Mount } from '../cri/types.ts';

/** What the node offers of one extended resource. */
export interface ExtendedResource {
  /** e.g. "example.com/widget" */
  name: string;
  /** every device the plugin lists (Node status.capacity) */
  capacity: number;
  /** the healthy ones (Node status.allocatable); 0 once the plugin is gone */
  allocatable: number;
  /** the plugin is registered and its stream is open */
  connected: boolean;
}

/** What a container gets for the devices allocated to it, in CRI ContainerConfig shapes. */
export interface DeviceAllocation {
  /** resource name -> the device IDs given to the container */
  deviceIds: Record<string, string[]>;
  envs: KeyValue[];
  mounts: Mount[];
  devices: CriDevice[];
  annotations: Labels;
}

export interface ContainerRef {
  podUid: string;
  podNamespace: string;
  podName: string;
  container: string;
  /**
   * An init container that runs to completion (not a sidecar): its devices pass on to the
   * containers after it (kube's devicesToReuse), as the pod's request is max(init, sum(app)).
   */
  init?: boolean;
}

/**
 * Why an allocation cannot be made. `reason` is the kubelet's: "UnexpectedAdmissionError" when the
 * node lacks the devices (the pod then fails, as kubelet's admission does), "DevicePluginError"
 * when the plugin refused or is gone.
 */
export interface DeviceAllocationError extends Error {
  name: 'DeviceAllocationError';
  reason: 'UnexpectedAdmissionError' | 'DevicePluginError';
}

export interface DeviceManager {
  /** The extended resources registered plugins offer now. */
  resources(): ExtendedResource[];
  /** Called after any change of resources() (registration, health, disconnect); returns what unsubscribes. */
  onChange(listener: () => void): () => void;
  /**
   * The devices of one container: `requests` are its limits of extended resources (name -> count).
   * Repeating the call for the same container answers the same devices (the checkpoint), so a
   * restarted container keeps them. Rejects with a DeviceAllocationError.
   */
  allocate(container: ContainerRef, requests: Record<string, number>): Promise<DeviceAllocation>;
  /** Frees every device of a pod (it is gone from the node, or finished). */
  release(podUid: string): Promise<void>;
  /**
   * The pods holding devices (from the checkpoint too): the kubelet releases those it no longer
   * has once it has listed its pods (deleted while the agent was down), as kube's
   * UpdateAllocatedDevices does against the active pods.
   */
  allocatedPods(): string[];
}

/** The node's device manager, provided by the `skiff.io/device` plugin. */
export const DeviceManagerToken = createServiceToken<DeviceManager>('skiff.device.manager');

/**
 * The reason of a DeviceAllocationError, or undefined if `e` is not one. Duck-typed (`name` and
 * `reason`), because a hot-reloaded plugin bundle carries its own copy of every error class.
 */
export function deviceAllocationReason(e: unknown): DeviceAllocationError['reason'] | undefined {
  if (e === null || typeof e !== 'object' || (e as { name?: unknown }).name !== 'DeviceAllocationError') return undefined;
  const r = (e as { reason?: unknown }).reason;
  return r === 'UnexpectedAdmissionError' || r === 'DevicePluginError' ? r : undefined;
}
