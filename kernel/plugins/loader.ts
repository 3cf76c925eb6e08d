// Loading plugin code from a file in a way that can be reloaded without leaking.
//
// `import()` cannot be used for reloads: ESM modules are never unloaded, so a cache-busting
// `?v=N` import keeps every version alive. Instead the entry is bundled with esbuild into one
// CommonJS string (npm packages stay external and are `require`d once from node_modules, so they
// are shared, not duplicated), and evaluated with `vm.Script#runInThisContext` inside a CommonJS
// wrapper. Nothing keeps the resulting module object alive except the descriptor the caller
// holds, so once the host drops an old version it is garbage-collected.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { build, type Plugin as EsbuildPlugin } from 'esbuild';
import { assertDescriptor, type PluginDescriptor } from './descriptor.ts';

/** A module the host shares with plugins: the loaded module, or a thunk importing it (so a
 * function-valued module must be passed as `() => Promise.resolve(fn)`). */
export type SharedModule = unknown | (() => Promise<unknown>);

export interface LoadPluginOptions {
  /** inline source map so stack traces point at the plugin's sources (default false) */
  sourcemap?: boolean;
  /**
   * Specifiers a plugin gets from the host instead of its own copy (added to the defaults,
   * `@skiff/kernel` and `@skiff/kernel/plugins`): one module instance, so classes, tokens and
   * module state agree between host and plugins, and the kernel is not bundled into each plugin.
   */
  shared?: Record<string, SharedModule>;
}

const defaultShared: Record<string, SharedModule> = {
  '@skiff/kernel': () => import('../mod.ts'),
  '@skiff/kernel/plugins': () => import('./mod.ts'),
};

interface Bundle {
  /** hash over every input file's content (and the options) */
  hash: string;
  code: string;
  /** absolute input paths esbuild read */
  inputs: string[];
  /** shared specifiers the code requires */
  shared: string[];
}

const MAX_BUNDLES = 32;
/** bundles by content hash (LRU, bounded) */
const bundles = new Map<string, Bundle>();
/** entry (+options) -> hash of its last bundle, to find it without rebuilding */
const lastBuild = new Map<string, string>();

export const loaderStats = { builds: 0, cacheHits: 0 };

/** Bundle (or reuse a cached bundle of) the plugin at `entry` and evaluate a fresh copy of it. */
export async function loadPluginFile(entry: string, opts: LoadPluginOptions = {}): Promise<PluginDescriptor> {
  const abs = path.resolve(entry);
  const shared = { ...defaultShared, ...opts.shared };
  const bundle = await bundleFor(abs, opts, Object.keys(shared));
  const modules = new Map<string, unknown>();
  for (const id of bundle.shared) {
    const m = shared[id];
    modules.set(id, asCommonJS(typeof m === 'function' ? await (m as () => Promise<unknown>)() : m));
  }
  const exported = evaluate(abs, bundle, modules);
  const descriptor = (exported as { default?: unknown } | undefined)?.default ?? exported;
  assertDescriptor(descriptor, abs);
  return descriptor;
}

/** The bundled CommonJS source of a plugin entry (cached by content hash). */
export async function bundlePluginFile(entry: string, opts: LoadPluginOptions = {}): Promise<string> {
  return (await bundleFor(path.resolve(entry), opts, Object.keys({ ...defaultShared, ...opts.shared }))).code;
}

/** Drop cached bundles (tests, or after many distinct plugins). */
export function clearBundleCache(): void {
  bundles.clear();
  lastBuild.clear();
}

async function hashInputs(inputs: string[], optsKey: string): Promise<string | undefined> {
  const h = createHash('sha256').update(optsKey);
  for (const f of inputs) {
    try {
      h.update(f).update('\0').update(await readFile(f)).update('\0');
    } catch {
      return undefined; // an input disappeared: rebuild
    }
  }
  return h.digest('hex');
}

async function bundleFor(abs: string, opts: LoadPluginOptions, sharedIds: string[]): Promise<Bundle> {
  const optsKey = JSON.stringify({ sourcemap: !!opts.sourcemap, shared: [...sharedIds].sort() });
  const key = abs + '\0' + optsKey;
  const prevHash = lastBuild.get(key);
  const prev = prevHash ? bundles.get(prevHash) : undefined;
  if (prev && (await hashInputs(prev.inputs, optsKey)) === prev.hash) {
    bundles.delete(prev.hash); // LRU touch
    bundles.set(prev.hash, prev);
    loaderStats.cacheHits++;
    return prev;
  }

  const usedShared = new Set<string>();
  const result = await build({
    entryPoints: [abs],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    metafile: true,
    logLevel: 'silent',
    sourcemap: opts.sourcemap ? 'inline' : false,
    define: { 'import.meta.url': '__skiff_import_meta_url', 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' },
    plugins: [sharedModules(new Set(sharedIds), usedShared), externalNodeModules],
  }).catch((err: Error) => {
    throw new Error(`cannot bundle plugin ${abs}: ${err.message}`, { cause: err });
  });
  loaderStats.builds++;
  const code = result.outputFiles[0]!.text;
  const inputs = Object.keys(result.metafile.inputs).map((p) => path.resolve(p)).sort();
  const hash = (await hashInputs(inputs, optsKey)) ?? createHash('sha256').update(code).digest('hex');
  const bundle: Bundle = { hash, code, inputs, shared: [...usedShared].sort() };
  bundles.delete(hash);
  bundles.set(hash, bundle);
  while (bundles.size > MAX_BUNDLES) bundles.delete(bundles.keys().next().value as string);
  lastBuild.set(key, hash);
  if (lastBuild.size > MAX_BUNDLES * 4) lastBuild.delete(lastBuild.keys().next().value as string);
  return bundle;
}

/** Shared specifiers stay external and are served by the wrapper's `require`. */
function sharedModules(ids: Set<string>, used: Set<string>): EsbuildPlugin {
  return {
    name: 'skiff-shared-modules',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!ids.has(args.path)) return undefined;
        used.add(args.path);
        return { path: args.path, external: true };
      });
    },
  };
}

/** An ES module namespace as esbuild's CommonJS interop expects it (`__esModule`, live getters). */
const cjsViews = new WeakMap<object, object>();
function asCommonJS(m: unknown): unknown {
  if (m === null || typeof m !== 'object' || Object.prototype.toString.call(m) !== '[object Module]') return m;
  let view = cjsViews.get(m);
  if (!view) {
    const ns = m as Record<string, unknown>;
    view = Object.defineProperty({}, '__esModule', { value: true });
    for (const k of Object.keys(ns)) Object.defineProperty(view, k, { enumerable: true, get: () => ns[k] });
    cjsViews.set(m, view);
  }
  return view;
}

/**
 * Bare imports are resolved the way `require` will resolve them at run time. If that lands in
 * node_modules on a JavaScript file, the import stays external, rewritten to the absolute path
 * (shared with every other `require` of that file, and independent of where the plugin lives).
 * Anything else is bundled: workspace packages (symlinked TypeScript sources such as
 * @skiff/kernel, which Node cannot `require`) and ESM-only packages (which Node 20 cannot
 * `require` either).
 */
const externalNodeModules: EsbuildPlugin = {
  name: 'skiff-external-node-modules',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (!args.importer || isBuiltin(args.path)) return undefined;
      let resolved: string;
      try {
        resolved = createRequire(args.importer).resolve(args.path);
      } catch {
        return undefined; // not require-able: let esbuild resolve and bundle it
      }
      const inNodeModules = resolved.split(path.sep).includes('node_modules');
      if (inNodeModules && /\.(c?js|json|node)$/.test(resolved)) return { path: resolved, external: true };
      return undefined;
    });
  },
};

function evaluate(abs: string, bundle: Bundle, shared: Map<string, unknown>): unknown {
  const wrapper =
    '(function (exports, require, module, __filename, __dirname, __skiff_import_meta_url) {' + bundle.code + '\n})';
  // A distinct filename per bundle keeps stack traces and source maps apart across versions.
  const script = new vm.Script(wrapper, { filename: `${abs}#${bundle.hash.slice(0, 12)}` });
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  const mod = { exports: {} as unknown };
  const nodeRequire = createRequire(abs);
  const req = shared.size
    ? Object.assign((id: string) => (shared.has(id) ? shared.get(id) : nodeRequire(id)), nodeRequire)
    : nodeRequire;
  fn.call(mod.exports, mod.exports, req, mod, abs, path.dirname(abs), pathToFileURL(abs).href);
  return mod.exports;
}
