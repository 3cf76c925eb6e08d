// Test helpers for the host-path driver: a temporary agent root, and a cleanup that unmounts
// whatever is mounted under it and detaches the loop devices of its images, even after a failure.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loopDevicesOf, mounts, umount } from './hostpath/host-ops.ts';

export interface TempRoot {
  /** the agent root (plugins_registry/, plugins/) */
  root: string;
  /** the driver's data dir */
  dataDir: string;
  /** unmounts, detaches and removes everything under it */
  cleanup(): Promise<void>;
}

/** Why the host-path driver cannot run here, or null. */
export function hostpathUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  if (spawnSync('mkfs.xfs', ['-V']).status !== 0) return 'mkfs.xfs missing (scripts/ensure-node-deps.sh storage installs xfsprogs)';
  return null;
}

export function tempRoot(prefix = 'skiff-csi-'): TempRoot {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(root, 'hostpath-data');
  return {
    root,
    dataDir,
    async cleanup() {
      for (const m of (await mounts()).filter((m) => m.mountPoint.startsWith(`${root}/`)).reverse()) await umount(m.mountPoint).catch(() => spawnSync('umount', ['-l', m.mountPoint]));
      const images = join(dataDir, 'volumes');
      if (existsSync(images)) {
        for (const f of readdirSync(images)) for (const dev of await loopDevicesOf(join(images, f)).catch((): string[] => [])) spawnSync('losetup', ['-d', dev]);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
