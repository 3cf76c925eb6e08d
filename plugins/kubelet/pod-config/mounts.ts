// A container's mounts, as kubelet's makeMounts (kubelet_pods.go) and kuberuntime's makeMounts build
// them, in this order:
// 1. each volumeMount: the volume's host path (a missing volume is an error), `subPath` /
//    `subPathExpr` (expanded with the container's env; absolute paths and '..' rejected; created
//    inside the volume with the volume's mode when missing; must resolve inside the volume),
//    read-only when asked or when the volume requires it, propagation None/HostToContainer/
//    Bidirectional → PROPAGATION_PRIVATE/HOST_TO_CONTAINER/BIDIRECTIONAL;
// 2. /etc/hosts → <root>/pods/<uid>/etc-hosts (written here), once the pod has IPs, unless the
//    container mounts something at /etc/hosts itself;
// 3. the termination-message file (terminationMessagePath, default /dev/termination-log) → a fresh
//    empty file <root>/pods/<uid>/containers/<name>/<id>, mode 0666, read-write.
// Left out: kubelet's bind-mount pinning of subPaths (volume-subpaths/): the subPath is checked to
// resolve inside the volume and its resolved path is mounted, so a container that can write the
// volume and swaps a directory for a symlink between this check and the runtime's mount could still
// escape (CVE-2017-1002101); recursiveReadOnly; SELinux relabeling; image volumes.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readFile, realpath, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { KeyValue, Mount, MountPropagation } from '@skiff/node-api';
import { expand } from './expansion.ts';
import { writeHostsFile, type HostsOptions } from './etc-hosts.ts';
import { containerDir, DEFAULT_ROOT, etcHostsPath } from './paths.ts';
import type { Container, Pod, VolumeMount } from './types.ts';
import type { VolumeMap } from './volumes.ts';

export const ETC_HOSTS = '/etc/hosts';
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

export function translatePropagation(mode: string | undefined): MountPropagation {
  switch (mode ?? '') {
    case '':
    case 'None':
      return 'PROPAGATION_PRIVATE';
    case 'HostToContainer':
      return 'PROPAGATION_HOST_TO_CONTAINER';
    case 'Bidirectional':
      return 'PROPAGATION_BIDIRECTIONAL';
    default:
      throw new Error(`invalid MountPropagation mode: "${mode}"`);
  }
}

/** kube's ExpandContainerVolumeMounts: every referenced variable must be set and non-empty. */
export function expandSubPathExpr(expr: string, env: readonly KeyValue[]): string {
  const envMap = new Map(env.map((e) => [e.key, e.value]));
  const missing = new Set<string>();
  const out = expand(expr, (k) => {
    const v = envMap.get(k);
    if (!v) missing.add(k);
    return v ?? '';
  });
  if (missing.size) throw new Error(`missing value for ${[...missing].sort().join(', ')}`);
  return out;
}

const within = (base: string, p: string) => p === base || p.startsWith(base.endsWith('/') ? base : `${base}/`);

/**
 * Creates the missing parts of `subPath` under `volumePath` (mode = the volume directory's), never
 * following a symlink out of the volume; resolves to the real path of volumePath/subPath.
 */
export async function prepareSubPath(volumePath: string, subPath: string): Promise<string> {
  if (posix.isAbsolute(subPath)) throw new Error(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split('/').includes('..')) throw new Error(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  const base = await realpath(volumePath);
  const perm = (await stat(base)).mode & 0o7777;
  const parts = subPath.split('/').filter((p) => p !== '' && p !== '.');
  let current = base;
  for (const part of parts) {
    const next = join(current, part);
    let st;
    try {
      st = await lstat(next);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!st) {
      await mkdir(next, { mode: perm });
      await chmod(next, perm);
      current = next;
      continue;
    }
    const resolved = st.isSymbolicLink() ? await realpath(next) : next;
    if (!within(base, resolved)) throw new Error(`subPath \`${subPath}\` resolves outside of its volume`);
    current = resolved;
  }
  return current;
}

export interface MountOptions {
  /** default /var/lib/skiff */
  root?: string;
  /** the pod's volumes, from setUpPodVolumes (plus any the caller set up itself) */
  volumes: VolumeMap;
  /** the container's final environment, for subPathExpr */
  env: readonly KeyValue[];
  /**
   * The pod's IPs, known after RunPodSandbox: with them, the managed /etc/hosts is written and
   * mounted (host-network pods: the node's hosts file, read from nodeHostsContent or /etc/hosts).
   */
  hosts?: HostsOptions;
  /** names the termination-message file (default: random, as kubelet does, so each start gets a fresh one) */
  terminationMessageId?: string;
}

async function volumeMountToMount(m: VolumeMount, container: Container, opts: MountOptions): Promise<Mount> {
  const vol = opts.volumes.get(m.name);
  if (!vol) throw new Error(`cannot find volume "${m.name}" to mount into container "${container.name}"`);
  let hostPath = vol.hostPath;
  const subPath = m.subPathExpr ? expandSubPathExpr(m.subPathExpr, opts.env) : (m.subPath ?? '');
  if (subPath) hostPath = await prepareSubPath(hostPath, subPath);
  return {
    containerPath: m.mountPath.startsWith('/') ? m.mountPath : `/${m.mountPath}`,
    hostPath,
    readonly: !!m.readOnly || vol.readOnly,
    selinuxRelabel: false,
    propagation: translatePropagation(m.mountPropagation),
  };
}

/** Creates the empty termination-message file (0666) and returns its host path. */
export async function makeTerminationMessageFile(root: string, uid: string, container: string, id: string): Promise<string> {
  const dir = containerDir(root, uid, container);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const path = join(dir, id);
  await (await open(path, 'w', 0o666)).close();
  await chmod(path, 0o666);
  return path;
}

export async function makeMounts(pod: Pod, container: Container, opts: MountOptions): Promise<Mount[]> {
  const root = opts.root ?? DEFAULT_ROOT;
  const uid = pod.metadata.uid ?? '';
  const mounts: Mount[] = [];
  for (const m of container.volumeMounts ?? []) mounts.push(await volumeMountToMount(m, container, opts));

  const ownHosts = (container.volumeMounts ?? []).some((m) => m.mountPath === ETC_HOSTS);
  if (opts.hosts && (pod.spec.hostNetwork || opts.hosts.podIPs.length > 0) && !ownHosts) {
    const hosts = { ...opts.hosts };
    if (pod.spec.hostNetwork && hosts.nodeHostsContent === undefined) hosts.nodeHostsContent = await readFile(ETC_HOSTS, 'utf8');
    const path = etcHostsPath(root, uid);
    await writeHostsFile(path, pod, hosts);
    mounts.push({ containerPath: ETC_HOSTS, hostPath: path, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' });
  }

  const tmp = container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
  if (tmp) {
    const id = opts.terminationMessageId ?? randomBytes(4).toString('hex');
    const hostPath = await makeTerminationMessageFile(root, uid, container.name, id);
    mounts.push({ containerPath: tmp.startsWith('/') ? tmp : `/${tmp}`, hostPath, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' });
  }
  return mounts;
}
