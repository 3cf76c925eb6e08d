// Distributions: a `plugins.skiff.io/v1alpha1` `Distribution` object saying which plugins run,
// read into PluginHost load requests.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { PluginDescriptor } from './descriptor.ts';
import type { LoadRequest } from './host-types.ts';
import { loadPluginFile } from './loader.ts';

export const DistributionAPIVersion = 'plugins.skiff.io/v1alpha1';

export interface DistributionPluginSource {
  /** name of a plugin compiled into the binary (looked up in the builtins registry) */
  builtin?: string;
  /** path to a plugin entry file (TS or JS), relative to the distribution file */
  path?: string;
}

export interface DistributionPlugin {
  name: string;
  type: string;
  /** if set, the loaded plugin must have this version */
  version?: string;
  config?: Record<string, unknown>;
  source: DistributionPluginSource;
}

export interface Distribution {
  apiVersion: typeof DistributionAPIVersion;
  kind: 'Distribution';
  metadata: { name: string; [k: string]: unknown };
  spec: { plugins: DistributionPlugin[] };
}

export type BuiltinRegistry = Readonly<Record<string, PluginDescriptor>>;

export interface ResolveOptions {
  builtins: BuiltinRegistry;
  /** base for relative `source.path`s (default: cwd) */
  baseDir?: string;
  /** how to load `source.path` plugins (default: loadPluginFile) */
  loadFile?: (path: string) => Promise<PluginDescriptor>;
}

/** Parse and check a Distribution from YAML (the first document of kind Distribution). */
export function parseDistribution(text: string, where = 'distribution'): Distribution {
  const docs = parseAllDocuments(text);
  const objs = docs.map((d) => {
    if (d.errors.length) throw new Error(`${where}: invalid YAML: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as unknown;
  });
  const found = objs.find((o) => isObj(o) && o.kind === 'Distribution');
  if (!found) throw new Error(`${where}: no object of kind Distribution found`);
  return checkDistribution(found, where);
}

/** Check the shape of a Distribution object (e.g. one read from the store). */
export function checkDistribution(obj: unknown, where = 'distribution'): Distribution {
  const problems: string[] = [];
  if (!isObj(obj)) throw new Error(`${where}: expected an object`);
  if (obj.apiVersion !== DistributionAPIVersion) problems.push(`apiVersion must be "${DistributionAPIVersion}"`);
  if (obj.kind !== 'Distribution') problems.push('kind must be "Distribution"');
  if (!isObj(obj.metadata) || typeof obj.metadata.name !== 'string' || !obj.metadata.name) problems.push('metadata.name is required');
  const plugins = isObj(obj.spec) ? obj.spec.plugins : undefined;
  if (!Array.isArray(plugins)) problems.push('spec.plugins must be a list');
  else {
    const seen = new Set<string>();
    plugins.forEach((p: unknown, i) => {
      const at = `spec.plugins[${i}]`;
      if (!isObj(p)) return void problems.push(`${at} must be an object`);
      if (typeof p.name !== 'string' || !p.name) problems.push(`${at}.name is required`);
      else if (seen.has(p.name)) problems.push(`${at}.name "${p.name}" is listed twice`);
      else seen.add(p.name);
      if (typeof p.type !== 'string' || !p.type) problems.push(`${at}.type is required`);
      if (p.version !== undefined && typeof p.version !== 'string') problems.push(`${at}.version must be a string`);
      if (p.config !== undefined && p.config !== null && !isObj(p.config)) problems.push(`${at}.config must be an object`);
      const src = p.source;
      if (!isObj(src)) problems.push(`${at}.source is required`);
      else {
        const n = (typeof src.builtin === 'string' ? 1 : 0) + (typeof src.path === 'string' ? 1 : 0);
        if (n !== 1) problems.push(`${at}.source must have exactly one of builtin, path`);
      }
    });
  }
  if (problems.length) throw new Error(`${where}: invalid Distribution: ${problems.join('; ')}`);
  return obj as unknown as Distribution;
}

/** Turn a Distribution into load requests: builtins from the registry, paths via the loader. */
export async function resolveDistribution(dist: Distribution, opts: ResolveOptions): Promise<LoadRequest[]> {
  const load = opts.loadFile ?? ((p: string) => loadPluginFile(p));
  const base = opts.baseDir ?? process.cwd();
  const out: LoadRequest[] = [];
  for (const p of dist.spec.plugins) {
    const at = `distribution "${dist.metadata.name}" plugin "${p.name}"`;
    let descriptor: PluginDescriptor;
    if (p.source.builtin !== undefined) {
      const d = Object.hasOwn(opts.builtins, p.source.builtin) ? opts.builtins[p.source.builtin] : undefined;
      if (!d) {
        const known = Object.keys(opts.builtins).sort().join(', ') || 'none';
        throw new Error(`${at}: unknown builtin "${p.source.builtin}" (known: ${known})`);
      }
      descriptor = d;
    } else {
      const file = path.resolve(base, p.source.path!);
      descriptor = await load(file).catch((err: Error) => {
        throw new Error(`${at}: ${err.message}`, { cause: err });
      });
    }
    if (descriptor.type !== p.type) throw new Error(`${at}: declared type "${p.type}" but the plugin has type "${descriptor.type}"`);
    if (p.version !== undefined && descriptor.version !== p.version) {
      throw new Error(`${at}: wants version "${p.version}" but the plugin is version "${descriptor.version}"`);
    }
    out.push({ name: p.name, descriptor, ...(p.config != null ? { config: p.config } : {}) });
  }
  return out;
}

/** Read a Distribution YAML file and resolve it (relative paths are relative to the file). */
export async function loadDistributionFile(
  file: string,
  opts: Omit<ResolveOptions, 'baseDir'>,
): Promise<{ distribution: Distribution; requests: LoadRequest[] }> {
  const text = await readFile(file, 'utf8');
  const distribution = parseDistribution(text, file);
  const requests = await resolveDistribution(distribution, { ...opts, baseDir: path.dirname(path.resolve(file)) });
  return { distribution, requests };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
