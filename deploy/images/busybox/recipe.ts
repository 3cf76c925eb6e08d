// busybox: Debian's busybox-static, unpacked (never installed) from a .deb kept in the cache:
// /bin/busybox with every applet as a symlink beside it, /etc/passwd and /etc/group, /tmp, /root.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RootFs, busyboxApplets } from '../rootfs.ts';
import { APT_LISTS, DEFAULT_PATH, DPKG_STATUS, type Recipe } from '../recipe.ts';

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };

/** The candidate version apt would install of `pkg` (from the local package lists). */
export function aptCandidate(pkg: string): string {
  const out = execFileSync('apt-cache', ['policy', pkg], { encoding: 'utf8', env: APT_ENV });
  const v = /Candidate:\s*(\S+)/.exec(out)?.[1];
  if (!v || v === '(none)') throw new Error(`apt knows no candidate for ${pkg} (apt-get update?)`);
  return v;
}

/**
 * The .deb of `pkg`'s candidate version in `<cacheDir>/debs`, fetched with `apt-get download` when
 * not there yet (nothing is installed). Returns its path.
 */
export function aptDownload(pkg: string, cacheDir: string): string {
  const version = aptCandidate(pkg);
  const dir = join(cacheDir, 'debs');
  const file = join(dir, `${pkg}_${version.replace(/:/g, '%3a')}_amd64.deb`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.dl-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    // as root apt drops to _apt for downloads, which cannot write here
    execFileSync('apt-get', ['-o', 'APT::Sandbox::User=root', 'download', '-qq', `${pkg}=${version}`], { cwd: tmp, env: APT_ENV, stdio: ['ignore', 'ignore', 'inherit'] });
    const got = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!got) throw new Error(`apt-get download ${pkg} produced no .deb`);
    renameSync(join(tmp, got), file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return file;
}

/** Unpacks busybox-static into `dir` and returns the path of its busybox binary. */
export function unpackBusybox(cacheDir: string, dir: string): string {
  const deb = aptDownload('busybox-static', cacheDir);
  execFileSync('dpkg-deb', ['-x', deb, dir]);
  const bin = join(dir, 'bin', 'busybox');
  if (!existsSync(bin)) throw new Error(`${deb} has no bin/busybox`);
  return bin;
}

export const busybox: Recipe = {
  name: 'busybox',
  description: "Debian's busybox-static with all applets in /bin; cmd sh",
  inputs: () => [DPKG_STATUS, APT_LISTS],
  async prepare(ctx) {
    const bin = unpackBusybox(ctx.cacheDir, join(ctx.work, 'deb'));
    const root = await RootFs.create(join(ctx.work, 'rootfs'));
    await root.copy(bin, '/bin/busybox', 0o755);
    for (const applet of busyboxApplets(bin)) await root.symlink(`/bin/${applet}`, 'busybox');
    await root.symlink('/usr/bin/env', '../../bin/busybox'); // for `#!/usr/bin/env sh` scripts
    await root.addEtc();
    return {
      refs: ['docker.io/library/busybox:latest'],
      layers: [root.dir],
      config: { env: { PATH: DEFAULT_PATH }, cmd: ['sh'] },
    };
  },
};
