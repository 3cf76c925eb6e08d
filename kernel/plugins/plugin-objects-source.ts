// Resolving a Plugin spec's source (`builtin`, `path`, or `artifact` from the JetStream object
// store through the artifact loader of the spec's type) to the plugin descriptor it names,
// checked against the spec's type and version.

import path from 'node:path';
import { isArtifactDigest, type ArtifactReader } from '../store/artifact-store.ts';
import { assertDescriptor, type PluginDescriptor } from './descriptor.ts';
import type { BuiltinRegistry } from './distribution.ts';
import { isObj, msgOf, type ArtifactLoaders, type PluginObjectSource, type PluginObjectSpec } from './plugin-objects-spec.ts';

export interface ResolveSourceOptions {
  builtins: BuiltinRegistry;
  /** absolute base for relative `source.path`s */
  baseDir: string;
  loadFile: (file: string) => Promise<PluginDescriptor>;
  /** where `source.artifact`s come from */
  artifacts?: ArtifactReader;
  artifactLoaders?: ArtifactLoaders;
  /** the Plugin object's name (for artifact loaders) */
  name?: string;
}

/** The descriptor a Plugin spec names, checked against its type and version. */
export async function resolvePluginSource(spec: Partial<PluginObjectSpec>, opts: ResolveSourceOptions): Promise<PluginDescriptor> {
  const src: PluginObjectSource = isObj(spec.source) ? spec.source : {};
  let d: PluginDescriptor;
  if (src.artifact) {
    d = await loadArtifact(src.artifact, src.digest, spec, opts);
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

/** Fetch `name` from the object store (checking `digest`) and hand it to the loader of spec.type. */
async function loadArtifact(name: string, digest: string | undefined, spec: Partial<PluginObjectSpec>, opts: ResolveSourceOptions): Promise<PluginDescriptor> {
  const type = typeof spec.type === 'string' ? spec.type : '';
  const loaders = opts.artifactLoaders ?? {};
  const loader = type && Object.hasOwn(loaders, type) ? loaders[type] : undefined;
  if (!loader) {
    const known = Object.keys(loaders).filter((k) => loaders[k]).sort().join(', ') || 'none';
    throw new Error(`spec.source.artifact "${name}": no artifact loader for plugin type "${type}" (artifact loaders: ${known})`);
  }
  if (digest !== undefined && digest !== '' && !isArtifactDigest(digest)) {
    throw new Error(`spec.source.digest "${digest}" is not a sha256:<64 lower-case hex digits> digest`);
  }
  if (!opts.artifacts) throw new Error(`spec.source.artifact "${name}": no artifact store is configured`);
  const artifact = await opts.artifacts.get(name, digest ? { digest } : {}).catch((err: unknown) => {
    throw new Error(`spec.source.artifact: ${msgOf(err)}`, { cause: err });
  });
  const loaderSpec = {
    name: opts.name ?? '',
    type,
    ...(spec.version ? { version: spec.version } : {}),
    config: isObj(spec.config) ? spec.config : {},
    ...(spec.failurePolicy ? { failurePolicy: spec.failurePolicy } : {}),
  };
  let d: unknown;
  try {
    d = await loader({ name, digest: artifact.digest, bytes: artifact.bytes }, loaderSpec);
  } catch (err) {
    throw new Error(`artifact "${name}" (${artifact.digest}): the "${type}" artifact loader failed: ${msgOf(err)}`, { cause: err });
  }
  assertDescriptor(d, `artifact "${name}" (${artifact.digest})`);
  return d;
}
