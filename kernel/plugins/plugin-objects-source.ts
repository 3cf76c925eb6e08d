// Resolving a Plugin spec's source (`builtin`, `path`; `artifact` is not supported yet) to the
// plugin descriptor it names, checked against the spec's type and version.

import path from 'node:path';
import type { PluginDescriptor } from './descriptor.ts';
import type { BuiltinRegistry } from './distribution.ts';
import { isObj, msgOf, type PluginObjectSource, type PluginObjectSpec } from './plugin-objects-spec.ts';

export interface ResolveSourceOptions {
  builtins: BuiltinRegistry;
  /** absolute base for relative `source.path`s */
  baseDir: string;
  loadFile: (file: string) => Promise<PluginDescriptor>;
}

/** The descriptor a Plugin spec names, checked against its type and version. */
export async function resolvePluginSource(spec: Partial<PluginObjectSpec>, opts: ResolveSourceOptions): Promise<PluginDescriptor> {
  const src: PluginObjectSource = isObj(spec.source) ? spec.source : {};
  let d: PluginDescriptor;
  if (src.artifact) {
    throw new Error(
      `spec.source.artifact "${src.artifact}": loading plugins from the JetStream object store is not supported yet; use spec.source.builtin or spec.source.path`,
    );
  } else if (src.builtin) {
    const b = Object.hasOwn(opts.builtins, src.builtin) ? opts.builtins[src.builtin] : undefined;
    if (!b) {
      const known = Object.keys(opts.builtins).sort().join(', ') || 'none';
      throw new Error(`unknown builtin "${src.builtin}" (known: ${known})`);
    }
    d = b;
  } else if (src.path) {
    const file = path.resolve(opts.baseDir, src.path);
    d = await opts.loadFile(file).catch((err: unknown) => {
      throw new Error(`cannot load ${file}: ${msgOf(err)}`, { cause: err });
    });
  } else {
    throw new Error('spec.source must have one of builtin, path or artifact');
  }
  if (spec.type && d.type !== spec.type) throw new Error(`spec.type is "${spec.type}" but the plugin has type "${d.type}"`);
  if (spec.version && d.version !== spec.version) {
    throw new Error(`spec.version is "${spec.version}" but the plugin is version "${d.version}"`);
  }
  return d;
}
