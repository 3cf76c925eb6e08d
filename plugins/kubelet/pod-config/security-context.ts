// Security contexts → CRI, as kubelet does it (pkg/securitycontext, kuberuntime/security_context.go,
// kubecontainer/runtime helpers):
// - namespaces: network NODE for hostNetwork else POD; pid NODE for hostPID, POD with
//   shareProcessNamespace, else CONTAINER; ipc NODE for hostIPC else POD;
// - a container's effective context: its own fields win over the pod's for runAsUser/Group,
//   runAsNonRoot, seLinuxOptions, seccompProfile; capabilities, privileged, readOnlyRootFilesystem,
//   allowPrivilegeEscalation (→ noNewPrivs only when explicitly false), procMount are the container's;
// - supplementalGroups: fsGroup, then the pod's supplementalGroups;
// - seccomp: the container's or pod's profile, else Unconfined (kubelet without --seccomp-default;
//   pass seccompDefault to get RuntimeDefault); Localhost profiles are under <seccompRoot>;
// - masked / read-only /proc paths: the defaults unless procMount Unmasked;
// - runAsNonRoot is checked against a numeric uid (the container's, else the image's).
// Left out: AppArmor, user namespaces (hostUsers), SELinux label allocation, supplementalGroupsPolicy,
// Windows options.
import { join } from 'node:path';
import type { LinuxContainerSecurityContext, LinuxSandboxSecurityContext, NamespaceOption, SecurityProfile } from '@skiff/node-api';
import { ContainerConfigError } from './errors.ts';
import type { Container, Pod, SeccompProfile, SecurityContext, SELinuxOptions } from './types.ts';

export const DEFAULT_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function namespacesForPod(pod: Pod): NamespaceOption {
  const s = pod.spec;
  return {
    network: s.hostNetwork ? 'NODE' : 'POD',
    pid: s.hostPID ? 'NODE' : s.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: s.hostIPC ? 'NODE' : 'POD',
    targetId: '',
  };
}

/** Any container (init, app, ephemeral) privileged: the sandbox is too. */
export function hasPrivilegedContainer(pod: Pod): boolean {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers, ...(pod.spec.ephemeralContainers ?? [])];
  return all.some((c) => c.securityContext?.privileged === true);
}

/** kube's DetermineEffectiveSecurityContext. */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const p = pod.spec.securityContext ?? {};
  const c = container.securityContext ?? {};
  const out: SecurityContext = { ...c };
  if (c.runAsUser === undefined && p.runAsUser !== undefined) out.runAsUser = p.runAsUser;
  if (c.runAsGroup === undefined && p.runAsGroup !== undefined) out.runAsGroup = p.runAsGroup;
  if (c.runAsNonRoot === undefined && p.runAsNonRoot !== undefined) out.runAsNonRoot = p.runAsNonRoot;
  if (c.seLinuxOptions === undefined && p.seLinuxOptions !== undefined) out.seLinuxOptions = p.seLinuxOptions;
  if (c.seccompProfile === undefined && p.seccompProfile !== undefined) out.seccompProfile = p.seccompProfile;
  return out;
}

function selinux(o: SELinuxOptions | undefined) {
  return o ? { user: o.user ?? '', role: o.role ?? '', type: o.type ?? '', level: o.level ?? '' } : null;
}

export interface SeccompOptions {
  /** kubelet's --seccomp-default: RuntimeDefault instead of Unconfined when nothing is set */
  seccompDefault?: boolean;
  /** where Localhost profiles live (kubelet: <root-dir>/seccomp) */
  seccompRoot?: string;
}

export function seccompProfile(profile: SeccompProfile | undefined, opts: SeccompOptions = {}): SecurityProfile {
  switch (profile?.type) {
    case 'RuntimeDefault':
      return { profileType: 'RuntimeDefault', localhostRef: '' };
    case 'Unconfined':
      return { profileType: 'Unconfined', localhostRef: '' };
    case 'Localhost':
      if (!profile.localhostProfile) throw new ContainerConfigError('localhostProfile must be set if seccompProfile type is Localhost.');
      return { profileType: 'Localhost', localhostRef: join(opts.seccompRoot ?? '/var/lib/skiff/seccomp', profile.localhostProfile) };
    case undefined:
      return { profileType: opts.seccompDefault ? 'RuntimeDefault' : 'Unconfined', localhostRef: '' };
    default:
      throw new ContainerConfigError(`unsupported seccomp profile type "${profile?.type}"`);
  }
}

function supplementalGroups(pod: Pod): number[] {
  const p = pod.spec.securityContext ?? {};
  return [...(p.fsGroup !== undefined ? [p.fsGroup] : []), ...(p.supplementalGroups ?? [])];
}

/** The sandbox's security context (generatePodSandboxLinuxConfig). */
export function sandboxSecurityContext(pod: Pod): LinuxSandboxSecurityContext {
  const p = pod.spec.securityContext ?? {};
  return {
    namespaceOptions: namespacesForPod(pod),
    selinuxOptions: selinux(p.seLinuxOptions),
    runAsUser: p.runAsUser !== undefined ? { value: p.runAsUser } : null,
    runAsGroup: p.runAsGroup !== undefined ? { value: p.runAsGroup } : null,
    readonlyRootfs: false,
    supplementalGroups: supplementalGroups(pod),
    privileged: hasPrivilegedContainer(pod),
    // kubelet always runs the sandbox (pause) with the runtime's default profile
    seccomp: { profileType: 'RuntimeDefault', localhostRef: '' },
    apparmor: null,
  };
}

/** The user an image runs as, from ImageStatus (uid, or a username when not numeric). */
export interface ImageUser {
  uid?: number;
  username?: string;
}

const podRef = (pod: Pod) => `${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid ?? ''})`;

/** kubelet's verifyRunAsNonRoot; throws a ContainerConfigError. */
export function verifyRunAsNonRoot(pod: Pod, container: Container, image: ImageUser = {}): void {
  const sc = effectiveSecurityContext(pod, container);
  if (!sc.runAsNonRoot) return;
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy (pod: "${podRef(pod)}", container: ${container.name})`);
    return;
  }
  if (image.uid === 0) throw new ContainerConfigError(`container has runAsNonRoot and image will run as root (pod: "${podRef(pod)}", container: ${container.name})`);
  if (image.uid === undefined && image.username)
    throw new ContainerConfigError(
      `container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root (pod: "${podRef(pod)}", container: ${container.name})`,
    );
}

/** The container's CRI security context (determineEffectiveSecurityContext). */
export function containerSecurityContext(pod: Pod, container: Container, opts: SeccompOptions & { image?: ImageUser } = {}): LinuxContainerSecurityContext {
  const sc = effectiveSecurityContext(pod, container);
  const unmasked = sc.procMount === 'Unmasked';
  const caps = sc.capabilities;
  return {
    capabilities: caps ? { addCapabilities: [...(caps.add ?? [])], dropCapabilities: [...(caps.drop ?? [])], addAmbientCapabilities: [] } : null,
    privileged: sc.privileged === true,
    namespaceOptions: namespacesForPod(pod),
    selinuxOptions: selinux(sc.seLinuxOptions),
    runAsUser: sc.runAsUser !== undefined ? { value: sc.runAsUser } : opts.image?.uid !== undefined ? { value: opts.image.uid } : null,
    runAsUsername: sc.runAsUser === undefined && opts.image?.uid === undefined ? (opts.image?.username ?? '') : '',
    readonlyRootfs: sc.readOnlyRootFilesystem === true,
    supplementalGroups: supplementalGroups(pod),
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    runAsGroup: sc.runAsGroup !== undefined ? { value: sc.runAsGroup } : null,
    maskedPaths: unmasked ? [] : [...DEFAULT_MASKED_PATHS],
    readonlyPaths: unmasked ? [] : [...DEFAULT_READONLY_PATHS],
    seccomp: seccompProfile(sc.seccompProfile, opts),
    apparmor: null,
  };
}
