// pause: the pod sandbox image. Our own pause.c, compiled static with gcc; a single file at /pause.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RootFs } from '../rootfs.ts';
import { DPKG_STATUS, type Recipe } from '../recipe.ts';

export const PAUSE_SOURCE = fileURLToPath(new URL('./pause.c', import.meta.url));

/** Compiles pause.c (`gcc -static -Os -s`) into `cacheDir`, once per source and compiler version. */
export function compilePause(cacheDir: string, source = PAUSE_SOURCE): string {
  const gcc = execFileSync('gcc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const id = createHash('sha256').update(readFileSync(source)).update(gcc).digest('hex').slice(0, 16);
  const dir = join(cacheDir, 'pause');
  const bin = join(dir, `pause-${id}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  execFileSync('gcc', ['-static', '-Os', '-s', '-Wall', '-Werror', '-o', tmp, source], { stdio: ['ignore', 'inherit', 'inherit'] });
  renameSync(tmp, bin);
  return bin;
}

export const pause: Recipe = {
  name: 'pause',
  description: 'pod sandbox: our static pause.c at /pause',
  inputs: () => [PAUSE_SOURCE, DPKG_STATUS],
  async prepare(ctx) {
    const bin = compilePause(ctx.cacheDir);
    const root = await RootFs.create(join(ctx.work, 'rootfs'));
    await root.copy(bin, '/pause', 0o755);
    return {
      refs: [ctx.params.pauseRef, ...ctx.params.pauseExtraRefs],
      layers: [root.dir],
      config: { entrypoint: ['/pause'], workingDir: '/' },
    };
  },
};
