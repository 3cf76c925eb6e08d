// What the pod workers need to turn a Pod into CRI configs (pod-config/ does the work): the
// sandbox's config (volumes made ready first), each container's config (image, env, mounts,
// resources), the pod IP, the spec hash that tells a changed container, and cleanup.
import type { KObject } from '@skiff/kernel';
import type { ContainerConfig, Input, PodSandboxConfig } from '@skiff/node-api';
import type { EventRecorder } from './pod-config/types.ts';

/**
 * A volume the pod needs could not be set up (and was not set up before): the pod waits,
 * ContainerCreating with this message; FailedMount events say why, volume by volume.
 */
export class VolumesNotReady extends Error {
  constructor(
    readonly volumes: string[],
    message: string,
  ) {
    super(message);
    this.name = 'VolumesNotReady';
  }
}

/** The sandbox's config cannot be made (kube's "Failed to generate sandbox config for pod ..."). */
export class SandboxConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxConfigError';
  }
}

export interface ContainerStart {
  /** 0 for the container's first run, +1 for every restart (also its restart count) */
  attempt: number;
  /** the image reference (id) to run */
  image: string;
  podIP: string;
  /** an ephemeral container with targetContainerName: the target's runtime id (its process namespace is shared) */
  targetId?: string;
}

export interface PodConfigurer {
  /**
   * The sandbox config; the pod's volumes are made ready first (idempotent: every sync calls it, so
   * changed ConfigMaps and Secrets reach their volumes). A volume that fails again after it was set
   * up keeps its last content (a FailedMount event only). Throws VolumesNotReady or
   * SandboxConfigError. `recorder` hears FailedMount (paced) and VolumeSourceSkipped warnings, and,
   * when `creating` a sandbox (the default), the DNS ones (MissingClusterDNS, DNSConfigForming).
   */
  sandbox(pod: KObject, attempt: number, recorder?: EventRecorder, creating?: boolean): Promise<Input<PodSandboxConfig>>;
  /** The sandbox's IP (from the runtime), cached per sandbox. */
  podIP(sandboxId: string): Promise<string | undefined>;
  /** Throws with kube's message when the config cannot be made (CreateContainerConfigError). */
  container(pod: KObject, name: string, kind: 'init' | 'app' | 'ephemeral', start: ContainerStart): Promise<Input<ContainerConfig>>;
  /** A stable hash of the container's spec (a running container with another hash is restarted). */
  hash(pod: KObject, name: string): string;
  gracePeriod(pod: KObject): number;
  qosClass(pod: KObject): string;
  /** The pod is gone: its volumes (CSI unpublish, unstage) and files go too. */
  cleanup(uid: string): Promise<void>;
  /** Calls `listener` when a volume source may have become usable (a CSI driver registered); returns what unsubscribes. */
  onVolumeSourcesChanged?(listener: () => void): () => void;
  /** The pod finished (Succeeded / Failed): its CSI and local volumes are unpublished; its files stay until it is gone. */
  releaseVolumes?(uid: string): Promise<void>;
  /**
   * Cleans up the pod directories on disk whose pod is not in `known` (this node's pods), and the
   * staged volumes no pod uses: after an agent restart, and for what an earlier cleanup could not
   * finish (a CSI driver not registered yet). Resolves with what is left for a later sweep.
   */
  sweep?(known: ReadonlySet<string>): Promise<string[]>;
}
