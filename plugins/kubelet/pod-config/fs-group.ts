// fsGroup ownership of a volume (kube's volume.SetVolumeOwnership): every file and directory under
// the volume gets the pod's fsGroup as its group, group read-write (read-only volumes: group read),
// directories group-executable and setgid so new files inherit the group. Symlinks are left alone
// (never followed). With fsGroupChangePolicy OnRootMismatch the walk is skipped when the volume's
// root already has the group and the permissions.
import { chmod, chown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const RW = 0o660;
const RO = 0o440;
const DIR_EXTRA = 0o2110; // setgid, group (and owner) execute

function wanted(mode: number, isDir: boolean, readOnly: boolean): number {
  return mode | (readOnly ? RO : RW) | (isDir ? DIR_EXTRA : 0);
}

/** Whether OnRootMismatch may skip the walk: the root has the group and the bits already. */
async function rootMatches(dir: string, gid: number, readOnly: boolean): Promise<boolean> {
  const st = await lstat(dir);
  const mode = st.mode & 0o7777;
  return st.gid === gid && (mode & wanted(0, true, readOnly)) === wanted(0, true, readOnly);
}

/** Applies `gid` to the tree at `dir`; resolves with whether anything was walked. */
export async function applyFsGroup(dir: string, gid: number, opts: { changePolicy?: string; readOnly?: boolean } = {}): Promise<boolean> {
  const readOnly = opts.readOnly === true;
  if (opts.changePolicy === 'OnRootMismatch' && (await rootMatches(dir, gid, readOnly))) return false;
  const walk = async (path: string, rootDev: number): Promise<void> => {
    const st = await lstat(path);
    if (st.isSymbolicLink()) return;
    if (st.gid !== gid) await chown(path, -1, gid);
    const mode = st.mode & 0o7777;
    const next = wanted(mode, st.isDirectory(), readOnly);
    if (next !== mode) await chmod(path, next);
    // the volume's own filesystem only (kube walks the volume, not what is mounted inside it)
    if (st.isDirectory() && st.dev === rootDev) for (const name of await readdir(path)) await walk(join(path, name), rootDev);
  };
  await walk(dir, (await lstat(dir)).dev);
  return true;
}

/**
 * Whether the kubelet applies fsGroup to a CSI volume (kube's csiMounter.supportsFSGroup): not with
 * fsGroupPolicy None, always with File, and with ReadWriteOnceWithFSType (kube's default) only for
 * a volume with an fsType that is ReadWriteOnce (inline volumes: an fsType is enough).
 */
export function csiAppliesFsGroup(policy: string | undefined, fsType: string, pvAccessModes: readonly string[], inline: boolean): boolean {
  switch (policy ?? 'ReadWriteOnceWithFSType') {
    case 'None':
      return false;
    case 'File':
      return true;
    default:
      if (!fsType) return false;
      return inline || pvAccessModes.includes('ReadWriteOnce') || pvAccessModes.includes('ReadWriteOncePod');
  }
}
