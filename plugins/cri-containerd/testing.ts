// Test images for a real containerd where nothing can be pulled: a pause image (a static C program)
// and a busybox image (Debian's busybox-static), packed as docker-archive tars and imported with
// `ctr -n k8s.io images import`. Layers are made reproducible (fixed mtime, owner, order), so
// importing the same image again stores nothing new.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CriRuntime } from './service.ts';
import { sandboxImageOf } from './runtime-info.ts';

/** The containerd namespace the CRI plugin uses. */
export const CRI_NAMESPACE = 'k8s.io';
export const TEST_BUSYBOX_IMAGE = 'localhost/skiff-test/busybox:1.35';
const CACHE = join(tmpdir(), 'skiff-cri-test-cache');

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr?.trim() || err.message}`);
  }
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' })[process.arch as string] ?? process.arch;

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
}

/** Packs `rootfs` as a one-layer docker-archive tar named `name`; returns the tar's path. */
export function packImage(rootfs: string, name: string, config: ImageConfig, outDir: string): string {
  const dir = join(outDir, 'archive');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const layerTmp = join(outDir, 'layer.tar');
  run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', rootfs, '-cf', layerTmp, '.']);
  const layer = sha256(layerTmp);
  copyFileSync(layerTmp, join(dir, 'blobs', 'sha256', layer));
  const imageConfig = {
    architecture: goArch(),
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: { Entrypoint: config.entrypoint, Cmd: config.cmd, Env: config.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [`sha256:${layer}`] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'skiff plugins/cri-containerd/testing.ts' }],
  };
  const configJson = JSON.stringify(imageConfig);
  const cfg = createHash('sha256').update(configJson).digest('hex');
  writeFileSync(join(dir, 'blobs', 'sha256', cfg), configJson);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${cfg}`, RepoTags: [name], Layers: [`blobs/sha256/${layer}`] }]));
  const out = join(outDir, 'image.tar');
  run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', dir, '-cf', out, 'manifest.json', 'blobs']);
  return out;
}

/** A pause image: a static binary that sleeps in pause(), reaps orphans, and exits on SIGTERM/SIGINT. */
export function buildPauseImage(name: string, workDir: string): string {
  const rootfs = join(workDir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  const src = join(workDir, 'pause.c');
  writeFileSync(src, `#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void quit(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGTERM, quit);
  signal(SIGINT, quit);
  signal(SIGCHLD, reap);
  for (;;) pause();
}
`);
  run('gcc', ['-static', '-Os', '-s', '-o', join(rootfs, 'pause'), src]);
  return packImage(rootfs, name, { entrypoint: ['/pause'] }, workDir);
}

/** The busybox-static .deb, downloaded once into a cache directory. */
function busyboxDeb(): string {
  mkdirSync(CACHE, { recursive: true });
  const find = () => readdirSync(CACHE).find((f) => f.startsWith('busybox-static_') && f.endsWith('.deb'));
  let deb = find();
  if (!deb) {
    run('apt-get', ['download', 'busybox-static'], CACHE);
    deb = find();
    if (!deb) throw new Error(`apt-get download busybox-static left no .deb in ${CACHE}`);
  }
  return join(CACHE, deb);
}

/** A busybox image: /bin/busybox from Debian's busybox-static and a /bin symlink per applet. */
export function buildBusyboxImage(name: string, workDir: string): string {
  const extracted = join(workDir, 'deb');
  run('dpkg-deb', ['-x', busyboxDeb(), extracted]);
  const rootfs = join(workDir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(join(extracted, 'bin', 'busybox'), join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  const applets = run(join(rootfs, 'bin', 'busybox'), ['--list']).split('\n').filter((a) => /^[\w.[-]+$/.test(a) && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(rootfs, 'bin', a));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return packImage(rootfs, name, { cmd: ['sh'] }, workDir);
}

/** Imports an image tar into the CRI namespace (unpacked for the default snapshotter). */
export function importImage(tar: string): void {
  run('ctr', ['-n', CRI_NAMESPACE, 'images', 'import', tar]);
}

export interface TestImages {
  /** the runtime's sandbox image, present (imported from our pause build if it was missing) */
  sandboxImage: string;
  busyboxImage: string;
  /** images this call imported */
  imported: string[];
}

/**
 * Makes sure the runtime has its sandbox image and the test busybox image. The sandbox image is the
 * one containerd's config names (it cannot be pulled here); it is imported only when missing, so
 * a pause image someone else provided is kept.
 */
export async function ensureTestImages(cri: CriRuntime, workDir: string, busyboxImage = TEST_BUSYBOX_IMAGE): Promise<TestImages> {
  const sandboxImage = sandboxImageOf(await cri.status(true));
  if (!sandboxImage) throw new Error('the runtime does not tell its sandbox image (no info.config.sandboxImage in a verbose Status)');
  const imported: string[] = [];
  const ensure = async (name: string, build: (name: string, dir: string) => string) => {
    if ((await cri.imageStatus({ image: name })).image) return;
    const dir = join(workDir, name.replace(/[^\w.-]+/g, '_'));
    if (existsSync(dir)) throw new Error(`${dir} exists`);
    mkdirSync(dir, { recursive: true });
    importImage(build(name, dir));
    imported.push(name);
  };
  await ensure(sandboxImage, buildPauseImage);
  await ensure(busyboxImage, buildBusyboxImage);
  return { sandboxImage, busyboxImage, imported };
}
