// Where CSI volumes live on the node (kubelet's csi plugin layout, rooted at the agent's root):
//   <root>/pods/<uid>/volumes/kubernetes.io~csi/<pv or inline volume>/mount       publish target
//   <root>/pods/<uid>/volumes/kubernetes.io~csi/<pv or inline volume>/vol_data.json
//   <root>/plugins/kubernetes.io/csi/<driver>/<sha256(volumeHandle)>/globalmount   staging path
//   <root>/plugins/kubernetes.io/csi/<driver>/<sha256(volumeHandle)>/vol_data.json
// vol_data.json says which driver and volume a directory is for, as kubelet's does: after an agent
// restart, what is mounted under the pod directories (and these files) is all there is to know to
// unpublish and unstage.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { podVolumesDir } from './paths.ts';

export const CSI_PLUGIN_DIR = 'kubernetes.io~csi';
export const VOL_DATA = 'vol_data.json';

export interface VolData {
  specVolID: string;
  volumeHandle: string;
  driverName: string;
  /** "Persistent" or "Ephemeral" (kube's volumeLifecycleMode) */
  volumeLifecycleMode: 'Persistent' | 'Ephemeral';
  /** the staging path used, when the driver stages */
  stagingTargetPath?: string;
  /** the claim, for a persistent volume (expansion) */
  claim?: { namespace: string; name: string };
}

const checkName = (name: string) => {
  if (!name || name.includes('/') || name === '.' || name === '..' || name.includes('\0')) throw new Error(`invalid volume name ${JSON.stringify(name)}`);
  return name;
};

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function csiVolumeDir(root: string, uid: string, specName: string): string {
  return join(podVolumesDir(root, uid), CSI_PLUGIN_DIR, checkName(specName));
}

export function csiPublishPath(root: string, uid: string, specName: string): string {
  return join(csiVolumeDir(root, uid, specName), 'mount');
}

export function csiDriverDir(root: string, driver: string): string {
  return join(root, 'plugins', 'kubernetes.io', 'csi', checkName(driver));
}

export function csiStagingDir(root: string, driver: string, volumeHandle: string): string {
  return join(csiDriverDir(root, driver), sha256(volumeHandle));
}

export function csiStagingPath(root: string, driver: string, volumeHandle: string): string {
  return join(csiStagingDir(root, driver, volumeHandle), 'globalmount');
}

/** Writes `dir`/vol_data.json (atomically: a crash leaves the old one or the new one). */
export async function writeVolData(dir: string, data: VolData): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const file = join(dir, VOL_DATA);
  await writeFile(`${file}.tmp`, JSON.stringify(data), { mode: 0o640 });
  await rename(`${file}.tmp`, file);
}

export async function readVolData(dir: string): Promise<VolData | undefined> {
  try {
    const d = JSON.parse(await readFile(join(dir, VOL_DATA), 'utf8')) as VolData;
    return d && typeof d.volumeHandle === 'string' && typeof d.driverName === 'string' ? d : undefined;
  } catch {
    return undefined;
  }
}

const listDir = (dir: string) => readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? [] : Promise.reject(e)));

/** The pod uids that have a directory under <root>/pods. */
export async function podUidsOnDisk(root: string): Promise<string[]> {
  return listDir(join(root, 'pods'));
}

/** The CSI volumes of one pod on disk: volume directory and what its vol_data.json says. */
export async function csiVolumesOfPod(root: string, uid: string): Promise<{ dir: string; data: VolData | undefined }[]> {
  const base = join(podVolumesDir(root, uid), CSI_PLUGIN_DIR);
  const out = [];
  for (const name of await listDir(base)) out.push({ dir: join(base, name), data: await readVolData(join(base, name)) });
  return out;
}

/** Every staging directory on disk: <driver>/<sha>, with its vol_data.json. */
export async function stagingDirsOnDisk(root: string): Promise<{ dir: string; data: VolData | undefined }[]> {
  const base = dirname(csiDriverDir(root, 'x'));
  const out = [];
  for (const driver of await listDir(base))
    for (const h of await listDir(join(base, driver))) out.push({ dir: join(base, driver, h), data: await readVolData(join(base, driver, h)) });
  return out;
}
