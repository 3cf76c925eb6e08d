// `skiff image import` / `skiff image ls` against this machine's containerd, with an image built
// locally (deploy/images) under a name of the test's own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { writeImage } from '../deploy/images/oci-image.ts';
import { describeNeeding } from '../scripts/test-parts.ts';
import { runSkiff } from './skiff-process.ts';

const REF = `localhost/skiff-image-cli/test:${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'skiff-image-cli-'));
afterAll(() => {
  spawnSync('ctr', ['-n', 'k8s.io', 'images', 'rm', REF]);
  rmSync(dir, { recursive: true, force: true });
});

describeNeeding(['root', 'containerd'], 'skiff image', () => {
  it('imports a tarball into containerd for the CRI, lists it, and explains a missing file', async () => {
    const rootfs = join(dir, 'rootfs');
    spawnSync('mkdir', ['-p', join(rootfs, 'etc')]);
    spawnSync('sh', ['-c', `echo hello > ${join(rootfs, 'etc', 'greeting')}`]);
    const tar = join(dir, 'test.tar');
    await writeImage({ layers: [{ rootfs }], refs: [REF], out: tar });
    const r = await runSkiff(['image', 'import', tar]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(REF);
    const ls = await runSkiff(['image', 'ls']);
    expect(ls.stdout).toContain(REF);
    const bad = await runSkiff(['image', 'import', join(dir, 'missing.tar')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/missing\.tar: no such file/);
  }, 60_000);
});
