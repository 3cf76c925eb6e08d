// The npm packages the Skiff bundle (dist/*.mjs, where every npm dependency stays external) needs at
// run time: the packages it imports, and what they depend on, as node_modules resolution finds them.
import { builtinModules } from 'node:module';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/**
 * Dynamic imports left out: the WebAssembly toolchains (jco, the AssemblyScript compiler, ~450 MB
 * with their dependencies) compile policies; a node agent runs none.
 */
export const SKIPPED_DYNAMIC = ['@bytecodealliance/jco', 'assemblyscript'];

const BUILTIN = new Set(builtinModules);

/** Package name of a bare specifier (`@scope/name/sub` -> `@scope/name`), or null for builtins and paths. */
export function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || /^[a-z]+:/.test(spec)) return null;
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTIN.has(name) ? null : name;
}

/**
 * Bare specifiers a bundle imports: static ones (esbuild prints each import or re-export statement
 * at the start of a line), `require("...")`, and `import("...")`.
 */
export function importsOf(source: string): { static: string[]; dynamic: string[] } {
  const stat = new Set<string>();
  const dyn = new Set<string>();
  const staticRes = [
    /^(?:import|export)\b[^\n;]*?\bfrom\s*["']([^"']+)["']/gm, // import x from "p"; export * from "p"
    /^\}\s*from\s*["']([^"']+)["']/gm, // the last line of a multi-line import { ... } from "p"
    /^import\s*["']([^"']+)["']/gm, // import "p"
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of staticRes) for (const m of source.matchAll(re)) stat.add(m[1]);
  for (const m of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) dyn.add(m[1]);
  const pkgs = (xs: Set<string>) => [...new Set([...xs].map(packageOf).filter((x): x is string => x !== null))].sort();
  return { static: pkgs(stat), dynamic: pkgs(dyn) };
}

function resolvePackage(name: string, fromDir: string): string | null {
  for (let d = fromDir; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name);
    if (existsSync(join(p, 'package.json'))) return realpathSync(p);
    if (dirname(d) === d) return null;
  }
}

export interface BundleDeps {
  /** Host package directories to copy to /node_modules/<name> (nested ones come along with their parent). */
  packages: { name: string; dir: string }[];
  /**
   * Statically imported or depended-on packages that could not be found (optional and peer
   * dependencies and dynamic imports that are not there are not listed).
   */
  missing: string[];
  skipped: string[];
}

/** The packages the `.mjs` files of `bundleDir` need, found from `bundleDir` upwards. */
export function bundleDeps(bundleDir: string): BundleDeps {
  const wanted = new Set<string>();
  const staticWanted = new Set<string>();
  const skipped = new Set<string>();
  for (const f of readdirSync(bundleDir).filter((f) => f.endsWith('.mjs'))) {
    const { static: s, dynamic: d } = importsOf(readFileSync(join(bundleDir, f), 'utf8'));
    for (const p of s) {
      wanted.add(p);
      staticWanted.add(p);
    }
    for (const p of d) (SKIPPED_DYNAMIC.includes(p) && !s.includes(p) ? skipped : wanted).add(p);
  }
  const seen = new Map<string, string>(); // dir -> name
  const missing: string[] = [];
  const visit = (name: string, from: string, optional: boolean) => {
    const dir = resolvePackage(name, from);
    if (!dir) {
      if (!optional) missing.push(name);
      return;
    }
    if (seen.has(dir)) return;
    seen.set(dir, name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const d of Object.keys(pkg.dependencies ?? {})) visit(d, dir, false);
    for (const d of Object.keys(pkg.optionalDependencies ?? {})) visit(d, dir, true);
    for (const d of Object.keys(pkg.peerDependencies ?? {})) visit(d, dir, true);
  };
  for (const name of [...wanted].sort()) visit(name, bundleDir, !staticWanted.has(name));
  const dirs = [...seen.keys()];
  const packages = dirs
    .filter((d) => !dirs.some((o) => o !== d && d.startsWith(o + sep)))
    .map((dir) => ({ name: seen.get(dir)!, dir }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { packages, missing: [...new Set(missing)].sort(), skipped: [...skipped].sort() };
}
