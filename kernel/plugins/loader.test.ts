import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from './host.ts';
import { bundlePluginFile, loaderStats, loadPluginFile } from './loader.ts';
import { unusedKernel } from './testing.ts';
import { createServiceToken, silentLogger } from './tokens.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoNodeModules = path.resolve(here, '../../node_modules');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'skiff-loader-'));
  await symlink(repoNodeModules, path.join(dir, 'node_modules'), 'dir');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pluginTs = (version: string) => `
import { parse } from 'yaml';
import { definePlugin } from ${JSON.stringify(path.join(here, 'descriptor.ts'))};
import { createServiceToken } from ${JSON.stringify(path.join(here, 'tokens.ts'))};
import { greeting } from './helper.ts';

interface Info { version: string; starts: number; greeting: string }
const InfoToken = createServiceToken<Info>('test.loader-info');
let starts = 0; // module state: must be fresh for every load

export const yamlParse = parse;
export const url = import.meta.url;
export default definePlugin({
  name: 'loaded', version: '${version}', type: 'skiff.io/controller', provides: [InfoToken],
  start(ctx) {
    starts++;
    ctx.provide(InfoToken, { version: '${version}', starts, greeting: greeting() });
    return { stop() {} };
  },
});
`;

describe('loadPluginFile', () => {
  it('bundles a TS plugin with relative imports, keeps npm packages external and shared', async () => {
    const file = path.join(dir, 'plugin.ts');
    await writeFile(path.join(dir, 'helper.ts'), `export const greeting = (): string => 'hello';\n`);
    await writeFile(file, pluginTs('1.0.0'));
    const d = await loadPluginFile(file);
    expect(d).toMatchObject({ name: 'loaded', version: '1.0.0', type: 'skiff.io/controller' });

    const code = await bundlePluginFile(file);
    expect(code).toContain('require("' + path.join(repoNodeModules, 'yaml'));
    expect(code).toContain('"hello"');

    // the yaml module is the one every other require gets, not a copy
    const mod = createRequire(file)(file.replace(/plugin\.ts$/, 'node_modules/yaml')) as { parse: unknown };
    const exported = await evaluateExports(file);
    expect(exported.yamlParse).toBe(mod.parse);
    expect(exported.url).toBe(pathToFileURL(file).href);
  });

  it('evaluates a fresh module for every load, from the cache when nothing changed', async () => {
    const file = path.join(dir, 'plugin.ts');
    await writeFile(file, pluginTs('1.0.0'));
    const InfoToken = createServiceToken<{ version: string; starts: number; greeting: string }>('test.loader-info');
    const host = new PluginHost({ kernel: unusedKernel(), logger: silentLogger });
    await host.load([await loadPluginFile(file)]);
    expect(host.resolve(InfoToken)).toEqual({ version: '1.0.0', starts: 1, greeting: 'hello' });

    const builds = loaderStats.builds;
    await host.reload('loaded', await loadPluginFile(file)); // unchanged: cached bundle, new module
    expect(loaderStats.builds).toBe(builds);
    expect(host.resolve(InfoToken)).toEqual({ version: '1.0.0', starts: 1, greeting: 'hello' });

    await writeFile(path.join(dir, 'helper.ts'), `export const greeting = (): string => 'bonjour';\n`);
    await writeFile(file, pluginTs('2.0.0'));
    await host.reload('loaded', await loadPluginFile(file)); // a changed import is noticed too
    expect(loaderStats.builds).toBe(builds + 1);
    expect(host.resolve(InfoToken)).toEqual({ version: '2.0.0', starts: 1, greeting: 'bonjour' });
    await host.stop();
  });

  it('loads plain JS default-exporting a descriptor object', async () => {
    const file = path.join(dir, 'plain.mjs');
    await writeFile(file, `export default { name: 'plain', version: '0.1.0', type: 'skiff.io/device', start: () => ({ stop() {} }) };\n`);
    expect(await loadPluginFile(file)).toMatchObject({ name: 'plain', type: 'skiff.io/device' });
  });

  it('gives plugins the host instance of shared modules (@skiff/kernel/plugins by default)', async () => {
    const file = path.join(dir, 'shared.ts');
    await writeFile(
      file,
      `import { definePlugin } from '@skiff/kernel/plugins';\n` +
        `import thing, { counter } from 'host-thing';\n` +
        `export default { ...definePlugin({ name: 's', version: '1', type: 't', start: () => ({ stop() {} }) }), definePlugin, thing, counter };\n`,
    );
    const hostThing = { id: 'the one' };
    const ns = { __esModule: true, default: hostThing, counter: 42 }; // CommonJS-with-default shape; real ES namespaces are converted
    const d = (await loadPluginFile(file, { shared: { 'host-thing': async () => ns } })) as unknown as Record<string, unknown>;
    const mod = await import('./mod.ts');
    expect(d.definePlugin).toBe(mod.definePlugin);
    expect(d.thing).toBe(hostThing);
    expect(d.counter).toBe(42);
    expect(await bundlePluginFile(file, { shared: { 'host-thing': ns } })).toContain('require("@skiff/kernel/plugins")');
  });

  it('reports bundling and descriptor errors with the file', async () => {
    const broken = path.join(dir, 'broken.ts');
    await writeFile(broken, `export default {{;\n`);
    await expect(loadPluginFile(broken)).rejects.toThrow(`cannot bundle plugin ${broken}`);
    const missing = path.join(dir, 'missing-import.ts');
    await writeFile(missing, `import { x } from './nope.ts';\nexport default x;\n`);
    await expect(loadPluginFile(missing)).rejects.toThrow(/Could not resolve "\.\/nope\.ts"/);
    const bad = path.join(dir, 'bad.ts');
    await writeFile(bad, `export default { name: 'bad', version: 1 };\n`);
    await expect(loadPluginFile(bad)).rejects.toThrow(
      `${bad}: invalid plugin descriptor "bad": "version" must be a non-empty string; "type" must be a non-empty string; "start" must be a function`,
    );
    const throws = path.join(dir, 'throws.ts');
    await writeFile(throws, `throw new Error('top-level failure');\n`);
    await expect(loadPluginFile(throws)).rejects.toThrow('top-level failure');
  });
});

/** The full module.exports of a plugin file (re-evaluated through the loader's bundle). */
async function evaluateExports(file: string): Promise<Record<string, unknown>> {
  const code = await bundlePluginFile(file);
  const mod = { exports: {} as Record<string, unknown> };
  const fn = new Function('exports', 'require', 'module', '__filename', '__dirname', '__skiff_import_meta_url', code);
  fn(mod.exports, createRequire(file), mod, file, path.dirname(file), pathToFileURL(file).href);
  return mod.exports;
}
