// What the host-path driver does to the machine: sparse image files with an xfs filesystem,
// attached to loop devices and mounted. xfs because it grows online (xfs_growfs needs
// CAP_SYS_ADMIN; ext4's online resize also needs CAP_SYS_RESOURCE, which node containers lack).
// Every step is a command (losetup, mkfs.xfs, mount, umount, xfs_growfs) run with a timeout.
import { existsSync } from 'node:fs';
import { open, readFile, statfs, truncate } from 'node:fs/promises';
import { basename } from 'node:path';
import { runProcess } from '@skiff/client';

const TIMEOUT_MS = 60_000;

/** mkfs.xfs refuses filesystems under 300 MiB */
export const MIN_VOLUME_BYTES = 300 * 1024 * 1024;

export class HostOpError extends Error {}

async function run(cmd: string, argv: string[]): Promise<string> {
  let r;
  try {
    r = await runProcess(cmd, argv, { timeoutMs: TIMEOUT_MS });
  } catch (e) {
    throw new HostOpError(`${cmd}: ${(e as Error).message}`);
  }
  if (r.code !== 0) throw new HostOpError(`${cmd} ${argv.join(' ')}: ${(r.stderr || r.stdout).trim() || `exit ${r.code ?? r.signal}`}`);
  return r.stdout;
}

/** Creates (or replaces) a sparse file of `bytes` with a fresh xfs on it. */
export async function makeImage(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  await fh.close();
  await truncate(path, bytes);
  await run('mkfs.xfs', ['-q', '-f', path]);
}

/** Grows the image file (never shrinks); the loop device attached to it is told to re-read its size. */
export async function growImage(path: string, bytes: number): Promise<void> {
  await truncate(path, bytes);
  for (const dev of await loopDevicesOf(path)) await run('losetup', ['--set-capacity', dev]);
}

/** The loop devices backed by `path` (normally zero or one). */
export async function loopDevicesOf(path: string): Promise<string[]> {
  const out = await run('losetup', ['--noheadings', '--output', 'NAME', '--associated', path]);
  return out.split('\n').map((l) => l.trim()).filter(Boolean);
}

/**
 * Makes the device node `path` (type `b` or `c`) with the numbers sysfs gives at `sysDev`, unless it
 * exists. A container's /dev (Docker's tmpfs) has no loop devices even when its device cgroup
 * allows them, and losetup does not make them; on a host, devtmpfs already has every one.
 */
async function ensureDeviceNode(path: string, sysDev: string, type: 'b' | 'c'): Promise<void> {
  if (existsSync(path)) return;
  const [major, minor] = (await readFile(sysDev, 'utf8').catch(() => Promise.reject(new HostOpError(`${path} is missing and ${sysDev} does not say its numbers (no loop driver?)`)))).trim().split(':');
  await run('mknod', ['-m', '0660', path, type, major!, minor!]).catch((e) => {
    if (!existsSync(path)) throw e; // else made meanwhile by another call
  });
}

/** how often attachLoop retries when another process takes the free loop device first */
const ATTACH_ATTEMPTS = 5;

/**
 * The loop device of `path`, attaching one when there is none. The free device is asked for
 * (`losetup --find`: LOOP_CTL_GET_FREE, which makes one when none is free) and its node made when
 * missing, so this works in a node container as on a host, whatever number the kernel hands out.
 */
export async function attachLoop(path: string): Promise<string> {
  const [dev] = await loopDevicesOf(path);
  if (dev) return dev;
  await ensureDeviceNode('/dev/loop-control', '/sys/class/misc/loop-control/dev', 'c');
  let last: unknown;
  for (let i = 0; i < ATTACH_ATTEMPTS; i++) {
    const free = (await run('losetup', ['--find'])).trim();
    await ensureDeviceNode(free, `/sys/block/${basename(free)}/dev`, 'b');
    try {
      await run('losetup', [free, path]);
      return free;
    } catch (e) {
      // loop devices are the kernel's, shared by every container: another may have taken this one
      if (!/busy/i.test((e as Error).message)) throw e;
      last = e;
    }
  }
  throw last;
}

export async function detachLoops(path: string): Promise<void> {
  for (const dev of await loopDevicesOf(path)) await run('losetup', ['--detach', dev]).catch(() => {});
}

export interface MountEntry {
  mountPoint: string;
  source: string;
  fsType: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The mounts of this mount namespace (/proc/self/mountinfo). */
export async function mounts(): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    const f = left!.split(' ');
    const r = (right ?? '').split(' ');
    out.push({ mountPoint: unescape(f[4]!), fsType: r[0] ?? '', source: unescape(r[1] ?? '') });
  }
  return out;
}

export async function mount(device: string, target: string, options: string[]): Promise<void> {
  await run('mount', ['-t', 'xfs', ...(options.length ? ['-o', options.join(',')] : []), device, target]);
}

export async function umount(target: string): Promise<void> {
  await run('umount', [target]);
}

/** Grows the mounted xfs at `mountPoint` to its device's size. */
export async function growFilesystem(mountPoint: string): Promise<void> {
  await run('xfs_growfs', [mountPoint]);
}

export interface FsStats {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  totalInodes: number;
  freeInodes: number;
}

export async function fsStats(path: string): Promise<FsStats> {
  const s = await statfs(path);
  return {
    totalBytes: s.blocks * s.bsize,
    availableBytes: s.bavail * s.bsize,
    usedBytes: (s.blocks - s.bfree) * s.bsize,
    totalInodes: s.files,
    freeInodes: s.ffree,
  };
}
