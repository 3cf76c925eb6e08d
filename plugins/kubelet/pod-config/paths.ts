// Where the node agent keeps a pod's files (kubelet's layout under /var/lib/kubelet, rooted at
// /var/lib/skiff):
//   <root>/pods/<uid>/volumes/<plugin>/<volume>     emptyDir, configMap, secret, downwardAPI, projected
//   <root>/pods/<uid>/etc-hosts                     the managed /etc/hosts
//   <root>/pods/<uid>/containers/<container>/<id>   termination-message files
// Volume plugin directories carry kubelet's escaped plugin names (kubernetes.io~configmap, ...).
import { join } from 'node:path';

export const DEFAULT_ROOT = '/var/lib/skiff';

export const VOLUME_PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

export type ManagedVolumeKind = keyof typeof VOLUME_PLUGIN_DIRS;

/** A pod uid is a path component: no '/', not '.' or '..', not empty. */
export function checkUid(uid: string | undefined): string {
  if (!uid || uid === '.' || uid === '..' || uid.includes('/') || uid.includes('\0')) throw new Error(`invalid pod uid ${JSON.stringify(uid)}`);
  return uid;
}

export function podDir(root: string, uid: string): string {
  return join(root, 'pods', checkUid(uid));
}

export function podVolumesDir(root: string, uid: string): string {
  return join(podDir(root, uid), 'volumes');
}

export function volumeDir(root: string, uid: string, kind: ManagedVolumeKind, name: string): string {
  if (!name || name.includes('/') || name === '.' || name === '..') throw new Error(`invalid volume name ${JSON.stringify(name)}`);
  return join(podVolumesDir(root, uid), VOLUME_PLUGIN_DIRS[kind], name);
}

export function etcHostsPath(root: string, uid: string): string {
  return join(podDir(root, uid), 'etc-hosts');
}

export function containerDir(root: string, uid: string, container: string): string {
  if (!container || container.includes('/') || container === '.' || container === '..') throw new Error(`invalid container name ${JSON.stringify(container)}`);
  return join(podDir(root, uid), 'containers', container);
}
