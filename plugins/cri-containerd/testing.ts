// Test images for a real containerd where nothing can be pulled: the pause and busybox images that
// deploy/images builds from files on the machine (cached between runs), imported with
// `ctr -n k8s.io images import` when the runtime lacks them.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CriRuntime } from '@skiff/node-api';
import { buildImages } from '../../deploy/images/build.ts';
import { ctrImport } from '../../deploy/images/load.ts';
import { sandboxImageOf } from './runtime-info.ts';

/** The containerd namespace the CRI plugin uses. */
export const CRI_NAMESPACE = 'k8s.io';
export const TEST_BUSYBOX_IMAGE = 'localhost/skiff-test/busybox:1.35';
/** the ref deploy/images gives busybox */
const BUSYBOX_REF = 'docker.io/library/busybox:latest';
const OUT = join(tmpdir(), 'skiff-test-images');

export interface TestImages {
  /** the runtime's sandbox image, present (imported from our pause build if it was missing) */
  sandboxImage: string;
  busyboxImage: string;
  /** images this call imported */
  imported: string[];
}

/**
 * Makes sure the runtime has its sandbox image and a busybox image named `busyboxImage`. The sandbox
 * image is the one containerd's config names (it cannot be pulled here); each is imported only when
 * missing, so an image someone else provided is kept. `_workDir` is unused (the builds are cached
 * in one place for every test).
 */
export async function ensureTestImages(cri: CriRuntime, _workDir: string, busyboxImage = TEST_BUSYBOX_IMAGE): Promise<TestImages> {
  const sandboxImage = sandboxImageOf(await cri.status(true));
  if (!sandboxImage) throw new Error('the runtime does not tell its sandbox image (no info.config.sandboxImage in a verbose Status)');
  const missing = async (image: string) => !(await cri.imageStatus({ image })).image;
  const imported: string[] = [];
  const wantPause = await missing(sandboxImage);
  const wantBusybox = await missing(busyboxImage);
  if (!wantPause && !wantBusybox) return { sandboxImage, busyboxImage, imported };
  const built = await buildImages([...(wantPause ? ['pause'] : []), ...(wantBusybox ? ['busybox'] : [])], { out: OUT, pauseExtraRefs: [sandboxImage], bundleDir: null });
  for (const b of built) {
    ctrImport(b.tar, { namespace: CRI_NAMESPACE });
    imported.push(b.name === 'pause' ? sandboxImage : busyboxImage);
  }
  if (wantBusybox && busyboxImage !== BUSYBOX_REF) {
    const r = spawnSync('ctr', ['-n', CRI_NAMESPACE, 'images', 'tag', '--force', BUSYBOX_REF, busyboxImage], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ctr images tag ${BUSYBOX_REF} ${busyboxImage}: ${r.stderr || r.error?.message}`);
  }
  return { sandboxImage, busyboxImage, imported };
}
