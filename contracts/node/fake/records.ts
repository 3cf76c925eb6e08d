// What the fake runtime keeps of each sandbox and container, and the CRI messages it answers with
// about them (copies: nothing a caller changes reaches the records).
import type {
  Container, ContainerMetadata, ContainerState, ContainerStats, ContainerStatus, Input, Labels, LinuxContainerResources, Mount,
  NamespaceOption, PodSandbox, PodSandboxConfig, PodSandboxMetadata, PodSandboxState,
} from '../cri/types.ts';

/** What a started container does by itself. */
export interface ContainerBehaviour {
  /** exit this long after the start (default: run until stopped) */
  exitAfterMs?: number;
  /** the code of that exit (default 0) */
  exitCode?: number;
  /** how long it takes to exit on SIGTERM (default 0); past the stop timeout it is killed (137) */
  stopDelayMs?: number;
}

/** What `behaviour` and `onExecSync` see of a container. */
export interface FakeContainerInfo {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  /** the image as the container was created with it (usually the id the pull returned) */
  image: string;
  /** the image's first name (e.g. "busybox:1.36") */
  imageName: string;
  command: string[];
  args: string[];
  labels: Labels;
  annotations: Labels;
  /** the sandbox's labels (the pod's uid, name, namespace) */
  sandboxLabels: Labels;
}

/** A sandbox as the runtime holds it. */
export interface SandboxRecord {
  id: string;
  key: string;
  metadata: PodSandboxMetadata;
  config: Input<PodSandboxConfig>;
  state: PodSandboxState;
  createdAt: number;
  ip: string;
  namespaces: NamespaceOption | null;
  labels: Labels;
  annotations: Labels;
  runtimeHandler: string;
}

/** A container as the runtime holds it. */
export interface ContainerRecord {
  info: FakeContainerInfo;
  key: string;
  imageRef: string;
  imageName: string;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  logPath: string;
  mounts: Mount[];
  resources: LinuxContainerResources | null;
  behaviour: ContainerBehaviour;
  timer?: NodeJS.Timeout;
}

export const copy = <T>(v: T): T => structuredClone(v);

export function sandboxView(s: SandboxRecord): PodSandbox {
  return { id: s.id, metadata: { ...s.metadata }, state: s.state, createdAt: s.createdAt, labels: { ...s.labels }, annotations: { ...s.annotations }, runtimeHandler: s.runtimeHandler };
}

export function containerView(c: ContainerRecord): Container {
  return {
    id: c.info.id, podSandboxId: c.info.podSandboxId, metadata: { ...c.info.metadata }, image: { image: c.imageName, annotations: {}, userSpecifiedImage: '' },
    imageRef: c.imageRef, state: c.state, createdAt: c.createdAt, labels: { ...c.info.labels }, annotations: { ...c.info.annotations }, imageId: c.imageRef,
  };
}

export function containerStatusView(c: ContainerRecord): ContainerStatus {
  return {
    id: c.info.id, metadata: { ...c.info.metadata }, state: c.state, createdAt: c.createdAt, startedAt: c.startedAt, finishedAt: c.finishedAt, exitCode: c.exitCode,
    image: { image: c.imageName, annotations: {}, userSpecifiedImage: '' }, imageRef: c.imageRef, reason: c.reason, message: '',
    labels: { ...c.info.labels }, annotations: { ...c.info.annotations }, mounts: copy(c.mounts), logPath: c.logPath,
    resources: c.resources ? { linux: copy(c.resources) } : null,
  };
}

/** Stats at `timestamp` (ns): a running container's usage (`usage`: nano-cores and bytes), none for the others. */
export function statsView(c: ContainerRecord, timestamp: number, usage: { cpuNanoCores: number; memoryBytes: number } | undefined): ContainerStats {
  const running = c.state === 'CONTAINER_RUNNING';
  const ranNs = running ? timestamp - c.startedAt : 0;
  const cores = usage?.cpuNanoCores ?? 0;
  const bytes = usage?.memoryBytes ?? 0;
  return {
    attributes: { id: c.info.id, metadata: { ...c.info.metadata }, labels: { ...c.info.labels }, annotations: { ...c.info.annotations } },
    cpu: running ? { timestamp, usageCoreNanoSeconds: { value: Math.round((cores * ranNs) / 1e9) }, usageNanoCores: { value: cores } } : null,
    memory: running
      ? { timestamp, workingSetBytes: { value: bytes }, availableBytes: null, usageBytes: { value: bytes }, rssBytes: { value: bytes }, pageFaults: null, majorPageFaults: null }
      : null,
    writableLayer: null,
  };
}
