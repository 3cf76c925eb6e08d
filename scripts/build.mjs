#!/usr/bin/env node
// Bundles cli/main.ts into dist/skiff.mjs. Workspace packages (@skiff/*, whose exports point at .ts
// sources) are bundled; every npm dependency of every workspace stays external. The bundle is split
// at dynamic imports (cli/main.ts loads each command group that way) into dist/chunk-*.mjs beside
// skiff.mjs — beside it, not in a subdirectory, so `new URL('./x', import.meta.url)` in any chunk
// still finds the files copied next to the bundle.
import { build } from 'esbuild';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = process.argv[2] ?? join(root, 'cli/main.ts');
const outfile = process.argv[3] ?? join(root, 'dist/skiff.mjs');

const readPkg = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** Directories of the root and every workspace ("plugins/*" style globs expanded). */
function packageDirs() {
  const dirs = [root];
  for (const pat of readPkg(root).workspaces ?? []) {
    const candidates = pat.endsWith('/*')
      ? readdirSync(join(root, pat.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(root, pat.slice(0, -2), d.name))
      : [join(root, pat)];
    dirs.push(...candidates.filter((d) => existsSync(join(d, 'package.json'))));
  }
  return dirs;
}

// Pure-JS packages the CLI loads, bundled: as external CommonJS packages of many files, resolving
// and compiling them was most of a client command's start. (yaml is loaded only where YAML is read
// or written: the kubeconfig Skiff writes is JSON.)
const BUNDLED = new Set(['yaml', 'commander']);
const external = new Set();
for (const dir of packageDirs()) {
  const pkg = readPkg(dir);
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    for (const name of Object.keys(pkg[field] ?? {})) {
      if (name.startsWith('@skiff/') || BUNDLED.has(name)) continue;
      external.add(name);
      external.add(`${name}/*`);
    }
  }
}

const t0 = Date.now();
const outdir = dirname(outfile);
// chunks of an earlier build (their names carry content hashes: stale ones would pile up)
if (existsSync(outdir)) for (const f of readdirSync(outdir)) if (/^chunk-.*\.mjs(\.map)?$/.test(f)) rmSync(join(outdir, f));
await build({
  entryPoints: { [outfile.replace(/^.*\//, '').replace(/\.mjs$/, '')]: entry },
  outdir,
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: [...external],
  banner: { js: "import { createRequire as __skiffCreateRequire } from 'module'; const require = __skiffCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  absWorkingDir: root,
}).catch(() => process.exit(1)); // esbuild has already printed the errors
// files loaded at run time beside the bundle (worker threads start from a file of their own)
for (const f of ['wasm-worker.mjs', 'guest-host.mjs', 'direct-abi.mjs']) copyFileSync(join(root, 'plugins/wasm-policies', f), join(dirname(outfile), f));
// (and helper processes: the cluster DNS server's answering helpers)
copyFileSync(join(root, 'plugins/cluster-dns/answer-helper.mjs'), join(dirname(outfile), 'answer-helper.mjs'));
if (process.env.SKIFF_BUILD_VERBOSE) console.error(`built ${outfile} in ${Date.now() - t0} ms`);
