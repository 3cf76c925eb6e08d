// Mounting memory-backed volumes (emptyDir medium Memory, and secret / projected volumes, which the
// kubelet keeps in tmpfs so secrets never touch the disk), and finding what is mounted under a pod's
// directory. An interface, so tests can pass a fake (hosts without CAP_SYS_ADMIN set
// VolumeOptions.memoryBacked to 'directory' instead).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MountPoint {
  /** absolute path */
  path: string;
  fsType: string;
}

export interface Mounter {
  /** mounts a fresh tmpfs at `dir` (an existing directory); sizeBytes 0 = the kernel's default (half the RAM) */
  mountTmpfs(dir: string, sizeBytes: number): Promise<void>;
  unmount(dir: string): Promise<void>;
  /** bind-mounts `source` at `dir` (an existing directory), read-only when asked (local PersistentVolumes) */
  bind?(source: string, dir: string, readOnly: boolean): Promise<void>;
  /** the mount points at or under `dir`, deepest first */
  mountsUnder(dir: string): Promise<MountPoint[]>;
}

/** /proc/self/mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mount points in a mountinfo text at or under `dir`, deepest first. */
export function parseMountsUnder(mountinfo: string, dir: string): MountPoint[] {
  const base = dir.replace(/\/+$/, '');
  const out: MountPoint[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length < 10) continue;
    const sep = f.indexOf('-', 6);
    if (sep < 0) continue;
    const path = unescapeMountPath(f[4]);
    if (path === base || path.startsWith(`${base}/`)) out.push({ path, fsType: f[sep + 1] });
  }
  return out.sort((a, b) => b.path.length - a.path.length);
}

/** mount(8) / umount(8) and /proc/self/mountinfo: needs root (CAP_SYS_ADMIN). */
export const systemMounter: Mounter = {
  async mountTmpfs(dir, sizeBytes) {
    const args = ['-t', 'tmpfs'];
    if (sizeBytes > 0) args.push('-o', `size=${sizeBytes}`);
    args.push('tmpfs', dir);
    await run('mount', args);
  },
  async unmount(dir) {
    await run('umount', [dir]);
  },
  async bind(source, dir, readOnly) {
    await run('mount', ['--bind', source, dir]);
    if (readOnly) await run('mount', ['-o', 'remount,bind,ro', dir]);
  },
  async mountsUnder(dir) {
    return parseMountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), dir);
  },
};
