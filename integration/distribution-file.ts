// Distribution files for tests: the default distribution (deploy/distros/default.yaml) without some
// of its plugins (say, a controller whose objects a test writes by hand, so it cannot take them
// over), or with some plugins' config changed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));

interface PluginEntry {
  name: string;
  type?: string;
  source?: { builtin?: string; path?: string };
  config?: Record<string, unknown>;
}

/**
 * Writes `dir/distribution.yaml`: the default distribution less the plugins in `without`, plus `extra`, with
 * `config` merged into the named plugins' config. Names it does not have are an error (a test
 * that leaves out a plugin the distribution no longer has would test nothing). Returns the path.
 */
export function defaultDistribution(dir: string, o: { without?: string[]; config?: Record<string, Record<string, unknown>>; extra?: PluginEntry[] } = {}): string {
  const d = parse(readFileSync(join(repo, 'deploy', 'distros', 'default.yaml'), 'utf8'));
  const plugins: PluginEntry[] = d.spec.plugins;
  for (const name of [...(o.without ?? []), ...Object.keys(o.config ?? {})]) {
    if (!plugins.some((p) => p.name === name)) throw new Error(`the default distribution has no plugin ${name}`);
  }
  d.spec.plugins = [...plugins.filter((p) => !(o.without ?? []).includes(p.name)), ...(o.extra ?? [])];
  for (const p of d.spec.plugins as PluginEntry[]) if (o.config?.[p.name]) p.config = { ...(p.config ?? {}), ...o.config[p.name] };
  const file = join(dir, 'distribution.yaml');
  writeFileSync(file, stringify(d));
  return file;
}
