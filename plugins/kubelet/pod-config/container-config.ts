// (pod, container, attempt, env, mounts, image ref) → CRI ContainerConfig, as kubelet's
// generateContainerConfig (kuberuntime_container.go) and applyPlatformSpecificContainerConfig:
// - metadata {name, attempt}; image {image: ref, userSpecifiedImage: container.image};
// - command / args: the container's, with $(VAR) expanded against the final env (the image's
//   entrypoint / cmd apply when they are empty, as in the runtime); workingDir; envs; mounts;
// - labels POD_NAME / POD_NAMESPACE / POD_UID / CONTAINER_NAME / MANAGED_BY; annotations
//   CONTAINER_HASH, CONTAINER_RESTART_COUNT, CONTAINER_TERMINATION_GRACE (when the pod sets it),
//   CONTAINER_KIND init|app|ephemeral (an ephemeral container with a target shares its process namespace);
// - logPath <name>/<attempt>.log (relative to the sandbox's log directory); stdin / stdinOnce / tty;
// - linux.resources (resources.ts), linux.securityContext (security-context.ts), after the
//   runAsNonRoot check (a ContainerConfigError, like kubelet's).
// CONTAINER_HASH: kubelet (1.31+) hashes only name and image, the fields a pod update may change;
// here the whole spec except `resources` (changed in place by UpdateContainerResources, not by a
// restart) is hashed, canonically (sorted keys), with FNV-1a 32-bit as kubelet does, in hex.
// Left out: devices and CDI devices (device plugins), kubelet's terminationMessagePath/Policy,
// ports and preStop annotations (not among the CRI labels, @skiff/node-api).
import {
  CONTAINER_HASH, CONTAINER_KIND, CONTAINER_NAME, CONTAINER_RESTART_COUNT, CONTAINER_TERMINATION_GRACE, MANAGED_BY, MANAGED_BY_VALUE,
  POD_NAME, POD_NAMESPACE, POD_UID, containerLogPath, type ContainerConfig, type KeyValue, type Mount,
} from '@skiff/node-api';
import { expandCommandAndArgs } from './env.ts';
import { containerResources, type ResourceOptions } from './resources.ts';
import { containerSecurityContext, verifyRunAsNonRoot, type ImageUser, type SeccompOptions } from './security-context.ts';
import type { Container, Pod } from './types.ts';

/** JSON with object keys sorted at every level and undefined members dropped. */
export function canonicalJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJSON(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJSON(o[k])}`).join(',')}}`;
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of s. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A stable hash of the container's spec (without resources), in hex: a change means "recreate". */
export function containerHash(container: Container): string {
  const { resources: _ignored, ...rest } = container;
  return fnv1a32(canonicalJSON(rest)).toString(16);
}

export type ContainerKind = 'init' | 'app' | 'ephemeral';

export function containerKind(pod: Pod, container: Container): ContainerKind {
  if ((pod.spec.ephemeralContainers ?? []).some((c) => c.name === container.name)) return 'ephemeral';
  return (pod.spec.initContainers ?? []).some((c) => c.name === container.name) ? 'init' : 'app';
}

export interface ContainerConfigInput {
  /** the restart count: 0 for the first run */
  attempt: number;
  /** from makeEnvironmentVariables */
  env: KeyValue[];
  /** from makeMounts */
  mounts: Mount[];
  /** the image reference to run (ImageStatus / PullImage's id) */
  imageRef: string;
  resources: ResourceOptions;
  /** the image's user (ImageStatus uid / username), for runAsNonRoot and runAsUser */
  imageUser?: ImageUser;
  seccomp?: SeccompOptions;
  /** default: init when the pod lists it in initContainers */
  kind?: ContainerKind;
  /** the MANAGED_BY label's value (default MANAGED_BY_VALUE) */
  managedBy?: string;
  /** ephemeral containers with a targetContainerName: the target's runtime id, whose process namespace this one joins */
  targetId?: string;
}

export function containerConfig(pod: Pod, container: Container, input: ContainerConfigInput): ContainerConfig {
  verifyRunAsNonRoot(pod, container, input.imageUser);
  const { command, args } = expandCommandAndArgs(container, input.env);
  const namespace = pod.metadata.namespace ?? 'default';
  const annotations: Record<string, string> = {
    [CONTAINER_HASH]: containerHash(container),
    [CONTAINER_RESTART_COUNT]: String(input.attempt),
    [CONTAINER_KIND]: input.kind ?? containerKind(pod, container),
  };
  if (pod.spec.terminationGracePeriodSeconds !== undefined) annotations[CONTAINER_TERMINATION_GRACE] = String(pod.spec.terminationGracePeriodSeconds);
  const securityContext = containerSecurityContext(pod, container, { ...input.seccomp, image: input.imageUser });
  if (input.targetId && securityContext.namespaceOptions) securityContext.namespaceOptions = { ...securityContext.namespaceOptions, pid: 'TARGET', targetId: input.targetId };
  return {
    metadata: { name: container.name, attempt: input.attempt },
    image: { image: input.imageRef, annotations: {}, userSpecifiedImage: container.image ?? '' },
    command,
    args,
    workingDir: container.workingDir ?? '',
    envs: input.env.map((e) => ({ key: e.key, value: e.value })),
    mounts: input.mounts,
    devices: [],
    labels: {
      [POD_NAME]: pod.metadata.name,
      [POD_NAMESPACE]: namespace,
      [POD_UID]: pod.metadata.uid ?? '',
      [CONTAINER_NAME]: container.name,
      [MANAGED_BY]: input.managedBy ?? MANAGED_BY_VALUE,
    },
    annotations,
    logPath: containerLogPath(container.name, input.attempt),
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    linux: {
      resources: containerResources(pod, container, input.resources),
      securityContext,
    },
  };
}
