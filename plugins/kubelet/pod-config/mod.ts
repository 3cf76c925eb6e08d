// pod-config: turns a Pod into what the CRI needs, as kubelet's kuberuntime does. The usual order
// for one pod sync:
//   const reader = kernelObjectReader(kernel);
//   const { volumes, errors } = await setUpPodVolumes(pod, { reader, nodeAllocatable });
//   const sandbox = podSandboxConfig(pod, { attempt, dns: { clusterDNS, clusterDomain, resolvConf } });
//   const sandboxId = await cri.runPodSandbox(sandbox);   // then read its IPs from PodSandboxStatus
//   for each container:
//     const env = await makeEnvironmentVariables(pod, c, { reader, podIPs, hostIPs, nodeAllocatable });
//     const mounts = await makeMounts(pod, c, { volumes, env, hosts: { podIPs } });
//     const config = containerConfig(pod, c, { attempt, env, mounts, imageRef, resources: { memoryCapacity } });
//     await cri.createContainer(sandboxId, config, sandbox);
// and updatePodVolumes on every resync, removePodDirectory when the pod is gone. Errors from
// makeEnvironmentVariables and containerConfig are ContainerConfigErrors (the container's waiting
// reason CreateContainerConfigError).
export type * from './types.ts';
export { ContainerConfigError, CREATE_CONTAINER_CONFIG_ERROR, isContainerConfigError, VolumeError } from './errors.ts';
export { kernelObjectReader, memoizedReader, staticObjectReader, type ObjectReader, type ReferencedKind } from './object-reader.ts';
export { computePodQOS, getPodQOS, type QOSClass } from './qos.ts';
export {
  containerOOMScoreAdjust, containerResources, hostHugePageSizes, isNodeCriticalPod, linuxResources, milliCPUToQuota, milliCPUToShares,
  podMemoryLimit, type ResourceOptions,
} from './resources.ts';
export { expand, mappingFor, type Mapping } from './expansion.ts';
export { podFieldValue, resourceFieldValue, type PodFieldContext } from './fieldpath.ts';
export { expandCommandAndArgs, makeEnvironmentVariables, type EnvOptions } from './env.ts';
export { DEFAULT_ROOT, containerDir, etcHostsPath, podDir, podVolumesDir, volumeDir } from './paths.ts';
export { atomicWrite, currentVersion, type FileProjection, type Payload } from './atomic-writer.ts';
export { systemMounter, type Mounter, type MountPoint } from './mounter.ts';
export { checkHostPathType } from './host-path.ts';
export { applyFsGroup, csiAppliesFsGroup } from './fs-group.ts';
export { csiPublishPath, csiStagingPath, csiVolumeDir, readVolData, type VolData } from './csi-paths.ts';
export { csiAccessMode, ephemeralVolumeHandle, resolvePvSource, type CsiSource, type PathSource, type PvSource, type VolumeObjects } from './pv-source.ts';
export { PvVolumes, type PvMount, type PvVolumesOptions } from './pv-volumes.ts';
export { kernelVolumeObjects } from './volume-objects.ts';
export {
  cleanupPodVolumes, removePodDirectory, setUpPodVolumes, updatePodVolumes, type MountedVolume, type SetUpResult, type VolumeMap,
  type VolumeOptions,
} from './volumes.ts';
export { hostsFileContent, podHostnameAndDomain, writeHostsFile, type HostsOptions } from './etc-hosts.ts';
export { makeMounts, translatePropagation, type MountOptions } from './mounts.ts';
export { parseResolvConf, podDNSConfig, type DNSOptions } from './dns.ts';
export {
  containerSecurityContext, effectiveSecurityContext, namespacesForPod, sandboxSecurityContext, verifyRunAsNonRoot, type ImageUser,
  type SeccompOptions,
} from './security-context.ts';
export { podSandboxConfig, type SandboxOptions } from './sandbox-config.ts';
export { containerConfig, containerHash, containerKind, type ContainerConfigInput, type ContainerKind } from './container-config.ts';
