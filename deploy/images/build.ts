// Builds Skiff's local container images (no registry needed) into `<out>/<name>.tar`, skipping an
// image whose inputs have not changed since its tarball was written.
//
//   node --import tsx deploy/images/build.ts <name...|all> [--out DIR] [--cache DIR] [--force]
//        [--pause-ref REF] [--pause-extra-ref REF]... [--bundle DIR | --no-bundle]
//        [--import [NAMESPACE]] [--docker-load]
//
// Default out: $SKIFF_IMAGES_DIR, else $SKIFF_HOME/images, else ~/.skiff/images; cache: <out>/.cache.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { busybox } from './busybox/recipe.ts';
import { ctrImport, dockerLoad } from './load.ts';
import { nats } from './nats/recipe.ts';
import { node, defaultBundleDir } from './node/recipe.ts';
import { writeImage } from './oci-image.ts';
import { pause } from './pause/recipe.ts';
import type { BuiltImage, Recipe, RecipeParams } from './recipe.ts';
import { filesDigest, inputsDigest, treeDigest } from './cache.ts';

export const RECIPES: Record<string, Recipe> = { pause, busybox, nats, node };

export const DEFAULT_PAUSE_REF = 'skiff.local/pause:3.9';

/** `$SKIFF_IMAGES_DIR`, else `$SKIFF_HOME/images`, else `~/.skiff/images`. */
export function defaultOutDir(): string {
  return process.env.SKIFF_IMAGES_DIR || join(process.env.SKIFF_HOME || join(homedir(), '.skiff'), 'images');
}

export interface BuildOptions extends Partial<RecipeParams> {
  out?: string;
  /** Default `<out>/.cache`. */
  cacheDir?: string;
  /** Rebuild even when the inputs are unchanged. */
  force?: boolean;
  log?: (msg: string) => void;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The sources of the writer and the recipes (tests and docs aside), for the cache keys. */
function sourceFiles(dir = HERE): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
      return /\.(ts|c|sh|toml)$/.test(e.name) && !e.name.endsWith('.test.ts') ? [p] : [];
    });
}

/** `names` plus what they need, dependencies first. */
export function buildOrder(names: string[]): string[] {
  const order: string[] = [];
  const visit = (n: string, path: string[]) => {
    const r = RECIPES[n];
    if (!r) throw new Error(`unknown image ${JSON.stringify(n)} (known: ${Object.keys(RECIPES).join(', ')})`);
    if (path.includes(n)) throw new Error(`image dependency cycle: ${[...path, n].join(' -> ')}`);
    for (const d of r.needs ?? []) visit(d, [...path, n]);
    if (!order.includes(n)) order.push(n);
  };
  for (const n of names) visit(n, []);
  return order;
}

async function readMeta(path: string): Promise<BuiltImage | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as BuiltImage;
  } catch {
    return undefined;
  }
}

/** Builds the named images (and the images they bake in); returns them in build order. */
export async function buildImages(names: string[], opts: BuildOptions = {}): Promise<BuiltImage[]> {
  const out = resolve(opts.out ?? defaultOutDir());
  const cacheDir = resolve(opts.cacheDir ?? join(out, '.cache'));
  const log = opts.log ?? (() => {});
  const params: RecipeParams = {
    pauseRef: opts.pauseRef ?? DEFAULT_PAUSE_REF,
    pauseExtraRefs: opts.pauseExtraRefs ?? [],
    bundleDir: opts.bundleDir === undefined ? defaultBundleDir() : opts.bundleDir,
  };
  await mkdir(cacheDir, { recursive: true });
  const writer = await filesDigest([join(HERE, 'oci-image.ts')], HERE);
  const sources = await filesDigest(sourceFiles(), HERE);
  const built: Record<string, BuiltImage> = {};
  for (const name of buildOrder(names)) {
    const t0 = Date.now();
    const recipe = RECIPES[name];
    const tar = join(out, `${name}.tar`);
    const metaPath = join(out, `${name}.json`);
    const meta = await readMeta(metaPath);
    const tarSize = await stat(tar).then((s) => s.size, () => -1);
    const have = meta && tarSize === meta.size ? meta : undefined;
    const needs = Object.fromEntries((recipe.needs ?? []).map((n) => [n, built[n].key]));
    const inputsKey = await inputsDigest(recipe.inputs({ params, built }), { name, sources, params, needs }, recipe.contentInputs?.({ params, built }));
    if (!opts.force && have?.inputsKey === inputsKey) {
      built[name] = { ...have, tar, built: false };
      log(`${name}: inputs unchanged, kept ${tar} (${have.refs.join(', ')}; ${fmtSize(have.size)}) [${Date.now() - t0} ms]`);
      continue;
    }
    const work = await mkdtemp(join(cacheDir, `work-${name}-`));
    try {
      const spec = await recipe.prepare({ work, cacheDir, params, built, log });
      const layerDigests = [];
      for (const l of spec.layers) layerDigests.push(await treeDigest(l));
      const compression = spec.compression ?? 'gzip';
      const key = createHash('sha256')
        .update(JSON.stringify({ writer, refs: spec.refs, config: spec.config, compression, layerDigests }))
        .digest('hex');
      if (!opts.force && have?.key === key) {
        built[name] = { ...have, tar, inputsKey, built: false };
        await writeFile(metaPath, `${JSON.stringify(built[name], null, 2)}\n`);
        log(`${name}: contents unchanged, kept ${tar} (${have.refs.join(', ')}; ${fmtSize(have.size)}) [${Date.now() - t0} ms]`);
        continue;
      }
      const r = await writeImage({ out: tar, refs: spec.refs, layers: spec.layers.map((rootfs) => ({ rootfs })), config: spec.config, compression });
      const img: BuiltImage = {
        name, tar, refs: r.refs, manifestDigest: r.manifestDigest, configDigest: r.configDigest, layers: r.layers, size: r.size, key, inputsKey, built: true,
      };
      await writeFile(metaPath, `${JSON.stringify(img, null, 2)}\n`);
      built[name] = img;
      log(`${name}: built ${tar} (${r.refs.join(', ')}; ${fmtSize(r.size)}; manifest ${r.manifestDigest}) [${Date.now() - t0} ms]`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return buildOrder(names).map((n) => built[n]);
}

function fmtSize(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      cache: { type: 'string' },
      force: { type: 'boolean' },
      'pause-ref': { type: 'string' },
      'pause-extra-ref': { type: 'string', multiple: true },
      bundle: { type: 'string' },
      'no-bundle': { type: 'boolean' },
      import: { type: 'boolean' },
      namespace: { type: 'string' },
      'docker-load': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !positionals.length) {
    console.log(
      [
        'usage: node --import tsx deploy/images/build.ts <name...|all> [options]',
        `images: ${Object.entries(RECIPES).map(([n, r]) => `\n  ${n.padEnd(8)} ${r.description}`).join('')}`,
        'options:',
        `  --out DIR              where <name>.tar goes (default ${defaultOutDir()})`,
        '  --cache DIR            downloads, compiled programs, scratch (default <out>/.cache)',
        '  --force                rebuild even if unchanged',
        `  --pause-ref REF        the pause image's ref (default ${DEFAULT_PAUSE_REF})`,
        '  --pause-extra-ref REF  another ref for the pause image (repeatable), e.g. registry.k8s.io/pause:3.6',
        '  --bundle DIR           skiff.mjs + *.mjs to bake into the node image (default <repo>/dist if built)',
        '  --no-bundle            bake no bundle into the node image (bind-mount one at /skiff)',
        '  --import               ctr images import each tarball (namespace --namespace, default k8s.io)',
        '  --docker-load          docker load -i each tarball',
      ].join('\n'),
    );
    return;
  }
  const names = positionals.includes('all') ? Object.keys(RECIPES) : positionals;
  const images = await buildImages(names, {
    out: values.out,
    cacheDir: values.cache,
    force: values.force,
    pauseRef: values['pause-ref'],
    pauseExtraRefs: values['pause-extra-ref'],
    bundleDir: values['no-bundle'] ? null : values.bundle ? resolve(values.bundle) : undefined,
    log: (m) => console.error(m),
  });
  for (const img of images) {
    if (!names.includes(img.name)) continue;
    if (values.import) console.error(ctrImport(img.tar, { namespace: values.namespace ?? 'k8s.io' }).trim());
    if (values['docker-load']) console.error(dockerLoad(img.tar).trim());
    console.log(img.tar);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`build: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
