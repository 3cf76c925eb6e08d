// What a `skiff.io/cri` plugin provides to the node agent: the CRI calls a kubelet makes, shaped like
// Kubernetes' own Go interfaces (k8s.io/cri-api/pkg/apis RuntimeService and ImageManagerService) so
// the agent reads like a kubelet. containerd's gRPC client implements it (plugins/cri-containerd),
// and so does the in-memory runtime hollow nodes run on (FakeRuntime, @skiff/node-api/testing).
// Failures are CriErrors (or anything with a numeric gRPC `code`): see errors.ts, rpc-status.ts.
import { createServiceToken } from '@skiff/kernel/plugins';
import type { CallOptions } from '../rpc.ts';
import type {
  AttachRequest, AuthConfig, Container, ContainerConfig, ContainerFilter, ContainerStats, ContainerStatsFilter,
  ContainerStatusResponse, ExecRequest, ExecSyncResponse, Image, ImageFsInfoResponse, ImageSpec, ImageStatusResponse, Input,
  Labels, LinuxContainerResources, PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatusResponse, StatusResponse,
  VersionResponse,
} from './types.ts';

export type { CallOptions };

export interface CriRuntime {
  version(opts?: CallOptions): Promise<VersionResponse>;
  /** Runtime conditions (RuntimeReady, NetworkReady); `verbose` adds the runtime's config as JSON in `info`. */
  status(verbose?: boolean, opts?: CallOptions): Promise<StatusResponse>;
  updateRuntimeConfig(podCidr: string, opts?: CallOptions): Promise<void>;

  /** Creates and starts a sandbox; resolves with its id. */
  runPodSandbox(config: Input<PodSandboxConfig>, runtimeHandler?: string, opts?: CallOptions): Promise<string>;
  /** Idempotent. */
  stopPodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void>;
  /** Idempotent. */
  removePodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void>;
  /** Fails with NOT_FOUND for an unknown sandbox. */
  podSandboxStatus(podSandboxId: string, verbose?: boolean, opts?: CallOptions): Promise<PodSandboxStatusResponse>;
  listPodSandbox(filter?: Input<PodSandboxFilter>, opts?: CallOptions): Promise<PodSandbox[]>;

  /** Resolves with the new container's id. */
  createContainer(podSandboxId: string, config: Input<ContainerConfig>, sandboxConfig: Input<PodSandboxConfig>, opts?: CallOptions): Promise<string>;
  startContainer(containerId: string, opts?: CallOptions): Promise<void>;
  /** Signals the container and kills it after `timeoutSeconds` (0: kill at once). Idempotent. */
  stopContainer(containerId: string, timeoutSeconds: number, opts?: CallOptions): Promise<void>;
  /** Idempotent. */
  removeContainer(containerId: string, opts?: CallOptions): Promise<void>;
  listContainers(filter?: Input<ContainerFilter>, opts?: CallOptions): Promise<Container[]>;
  /** Fails with NOT_FOUND for an unknown container. */
  containerStatus(containerId: string, verbose?: boolean, opts?: CallOptions): Promise<ContainerStatusResponse>;
  updateContainerResources(containerId: string, linux: Input<LinuxContainerResources>, annotations?: Labels, opts?: CallOptions): Promise<void>;
  /** After the agent rotated the log file. */
  reopenContainerLog(containerId: string, opts?: CallOptions): Promise<void>;

  /** Runs `cmd` to completion (probes); `timeoutSeconds` 0 = no limit. The call's deadline is stretched by it. */
  execSync(containerId: string, cmd: string[], timeoutSeconds: number, opts?: CallOptions): Promise<ExecSyncResponse>;
  /** URL of the runtime's streaming server for this exec session. */
  exec(request: Input<ExecRequest>, opts?: CallOptions): Promise<string>;
  attach(request: Input<AttachRequest>, opts?: CallOptions): Promise<string>;
  portForward(podSandboxId: string, ports: number[], opts?: CallOptions): Promise<string>;

  containerStats(containerId: string, opts?: CallOptions): Promise<ContainerStats | null>;
  listContainerStats(filter?: Input<ContainerStatsFilter>, opts?: CallOptions): Promise<ContainerStats[]>;

  listImages(filter?: Input<ImageSpec>, opts?: CallOptions): Promise<Image[]>;
  /** `image` is null when the image is not present (not an error). */
  imageStatus(image: Input<ImageSpec>, verbose?: boolean, opts?: CallOptions): Promise<ImageStatusResponse>;
  /** Resolves with the image reference (id) to put in ContainerConfig.image. No deadline unless given. */
  pullImage(image: Input<ImageSpec>, auth?: Input<AuthConfig>, sandboxConfig?: Input<PodSandboxConfig>, opts?: CallOptions): Promise<string>;
  /** Idempotent. */
  removeImage(image: Input<ImageSpec>, opts?: CallOptions): Promise<void>;
  imageFsInfo(opts?: CallOptions): Promise<ImageFsInfoResponse>;
}

/** The name of a CriRuntime method ("runPodSandbox", ...). */
export type CriMethod = keyof CriRuntime;

/** Every CriRuntime method, by name (for configs that name them: latencies, failures). */
export const CRI_METHODS = [
  'version', 'status', 'updateRuntimeConfig', 'runPodSandbox', 'stopPodSandbox', 'removePodSandbox', 'podSandboxStatus', 'listPodSandbox',
  'createContainer', 'startContainer', 'stopContainer', 'removeContainer', 'listContainers', 'containerStatus', 'updateContainerResources',
  'reopenContainerLog', 'execSync', 'exec', 'attach', 'portForward', 'containerStats', 'listContainerStats', 'listImages', 'imageStatus',
  'pullImage', 'removeImage', 'imageFsInfo',
] as const satisfies readonly CriMethod[];
// a method added to CriRuntime must be added above: this fails to compile otherwise
const everyMethod: Exclude<CriMethod, (typeof CRI_METHODS)[number]> extends never ? true : never = true;
void everyMethod;

/** The CRI runtime service, provided by the `skiff.io/cri` plugin. */
export const CriRuntimeToken = createServiceToken<CriRuntime>('skiff.cri.runtime');
