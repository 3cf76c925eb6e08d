// The PodConfigurer the pod workers use: pod-config/'s functions, wired to the kernel (ConfigMaps,
// Secrets), the node (memory, allocatable, resolv.conf) and the runtime (the sandbox's IP).
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Kernel, KObject } from '@skiff/kernel';
import { managedByNode, type CriRuntime, type devices } from '@skiff/node-api';
import { containerDeviceRequests, containerRef, withDevices } from './devices.ts';
import { formatPod } from './events.ts';
import { SandboxConfigError, VolumesNotReady, type ContainerStart, type PodConfigurer } from './pod-configurer.ts';
import {
  containerConfig, containerHash, getPodQOS, kernelObjectReader, makeEnvironmentVariables, makeMounts, podSandboxConfig, removePodDirectory,
  setUpPodVolumes, type Pod, type VolumeMap,
} from './pod-config/mod.ts';
import { ContainerConfigError } from './pod-config/errors.ts';
import { MountEvents } from './mount-events.ts';

export interface PodConfigurerOptions {
  kernel: Kernel;
  cri: CriRuntime;
  rootDir: string;
  podLogRoot: string;
  nodeName: string;
  clusterDNS: string[];
  clusterDomain: string;
  /** the node's device manager (skiff.io/device), when the agent runs one */
  devices?: devices.DeviceManager;
}

const readOr = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

export function createPodConfigurer(o: PodConfigurerOptions): PodConfigurer {
  const reader = kernelObjectReader(o.kernel);
  const ips = new Map<string, string | undefined>();
  /** the pod's volumes as last set up, by pod uid */
  const volumes = new Map<string, VolumeMap>();
  const mountEvents = new MountEvents();
  const memoryCapacity = totalmem();
  const managedBy = managedByNode(o.nodeName);
  const asPod = (p: KObject) => p as unknown as Pod;
  const containerOf = (pod: Pod, name: string) => [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === name);

  return {
    async sandbox(pod, attempt, recorder, creating = true) {
      const p = asPod(pod);
      const uid = pod.metadata.uid!;
      const r = await setUpPodVolumes(p, { root: o.rootDir, reader, recorder: mountEvents.recorderFor(uid, recorder) });
      mountEvents.setUp(uid, r.errors, r.volumes.keys(), recorder);
      const before = volumes.get(uid);
      // a volume set up before keeps serving its last content (kube keeps it mounted)
      for (const e of r.errors) {
        const old = before?.get(e.volume);
        if (old) r.volumes.set(e.volume, old);
      }
      const missing = r.errors.filter((e) => !r.volumes.has(e.volume));
      if (missing.length) throw new VolumesNotReady(missing.map((e) => e.volume), missing.map((e) => e.message).join('; '));
      volumes.set(uid, r.volumes);
      try {
        return podSandboxConfig(p, {
          attempt,
          managedBy,
          podLogRoot: o.podLogRoot,
          dns: { clusterDNS: o.clusterDNS, clusterDomain: o.clusterDomain, resolvConf: readOr('/etc/resolv.conf') },
          // kubelet works out the pod's DNS (and warns about it) when it creates a sandbox only
          recorder: creating ? recorder : undefined,
        });
      } catch (e) {
        throw new SandboxConfigError(`Failed to generate sandbox config for pod "${formatPod(pod)}": ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    },
    async podIP(sandboxId) {
      if (ips.has(sandboxId)) return ips.get(sandboxId);
      const s = await o.cri.podSandboxStatus(sandboxId);
      const ip = s.status?.network?.ip || undefined;
      if (ips.size > 1_000) ips.clear();
      ips.set(sandboxId, ip);
      return ip;
    },
    async container(pod, name, kind, start: ContainerStart) {
      const p = asPod(pod);
      const c = containerOf(p, name);
      if (!c) throw new ContainerConfigError(`container "${name}" is not in the pod's spec`);
      const podIPs = start.podIP ? [start.podIP] : [];
      const env = await makeEnvironmentVariables(p, c, { reader, podIPs });
      const mounts = await makeMounts(p, c, { root: o.rootDir, volumes: volumes.get(pod.metadata.uid!) ?? new Map(), env, hosts: { podIPs, clusterDomain: o.clusterDomain } });
      // the attempt is the restart count; containerConfig writes it as the restartCount annotation,
      // which the kubelet reads back after a restart of its own
      const config = containerConfig(p, c, { attempt: start.attempt, env, mounts, imageRef: start.image, resources: { memoryCapacity }, kind, managedBy });
      // the container's devices (allocated at the pod's admission: the device manager answers the same again)
      const wanted = o.devices ? containerDeviceRequests(c) : {};
      if (!Object.keys(wanted).length) return config;
      return withDevices(config, await o.devices!.allocate(containerRef(pod, name), wanted));
    },
    hash(pod, name) {
      const c = containerOf(asPod(pod), name);
      return c ? containerHash(c) : '';
    },
    gracePeriod(pod) {
      return (pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30;
    },
    qosClass(pod) {
      return getPodQOS(asPod(pod));
    },
    async cleanup(uid) {
      volumes.delete(uid);
      mountEvents.forget(uid);
      await removePodDirectory(uid, { root: o.rootDir });
    },
  };
}
