// busybox: Debian's dynamically linked busybox, unpacked (never installed) from a .deb kept in the
// cache, with the glibc it links (the loader, libc, libresolv) from this machine: /bin/busybox with
// every applet as a symlink beside it, /etc/passwd, /etc/group, /etc/nsswitch.conf (`hosts: files
// dns`), /tmp, /root. Not busybox-static: a static glibc's getaddrinfo needs NSS modules it
// dlopen()s, and crashes without them (wget, nc, ping by name all died in pods).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RootFs, busyboxApplets, lddDeps } from '../rootfs.ts';
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

/**
 * Unpacks Debian's `pkg` (busybox-static by default; `busybox` is the dynamically linked one) into
 * `dir` and returns the path of its busybox binary.
 */
export function unpackBusybox(cacheDir: string, dir: string, pkg: 'busybox' | 'busybox-static' = 'busybox-static'): string {
  const deb = aptDownload(pkg, cacheDir);
  execFileSync('dpkg-deb', ['-x', deb, dir]);
  const bin = join(dir, 'bin', 'busybox');
  if (!existsSync(bin)) throw new Error(`${deb} has no bin/busybox`);
  return bin;
}

export const busybox: Recipe = {
  name: 'busybox',
  description: "Debian's busybox (dynamic) with its glibc, all applets in /bin; cmd sh",
  // the glibc files come from libc6 (dpkg status); the .deb's version from apt's lists
  inputs: () => [DPKG_STATUS, APT_LISTS],
  async prepare(ctx) {
    const bin = unpackBusybox(ctx.cacheDir, join(ctx.work, 'deb'), 'busybox');
    const root = await RootFs.create(join(ctx.work, 'rootfs'));
    await root.copy(bin, '/bin/busybox', 0o755);
    // what ldd lists (the loader, libc.so.6, libresolv.so.2), at the host's paths (merged /usr's
    // links included), and the NSS modules `hosts: files dns` names: built into libc since glibc
    // 2.34 (these are stubs there), real modules dlopen()ed by an older one
    const libs = lddDeps([bin]);
    const libc = libs.find((l) => /\/libc\.so\.6$/.test(l));
    if (!libc) throw new Error(`ldd ${bin} lists no libc.so.6 (${libs.join(' ')}): not the dynamically linked busybox?`);
    for (const l of libs) await root.copyFromHost(l);
    for (const nss of ['libnss_files.so.2', 'libnss_dns.so.2']) {
      const p = join(dirname(libc), nss);
      if (existsSync(p)) await root.copyFromHost(p);
    }
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
