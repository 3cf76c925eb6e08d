import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { definePlugin, type PluginDescriptor } from './descriptor.ts';
import { loadDistributionFile, parseDistribution, resolveDistribution } from './distribution.ts';
import { PluginHost } from './host.ts';
import { unusedKernel } from './testing.ts';
import { silentLogger } from './tokens.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultDistro = path.resolve(here, '../../deploy/distros/default.yaml');

const started: Array<[string, unknown]> = [];
const fake = (name: string, type: string, configSchema?: Record<string, unknown>): PluginDescriptor =>
  definePlugin({
    name, version: '0.1.0', type, configSchema,
    start(ctx) {
      started.push([ctx.name, ctx.config]);
      return { stop() {} };
    },
  });
const builtins = {
  'rest-api': fake('rest-api', 'skiff.io/api', { type: 'object', properties: { port: { type: 'integer' }, host: { type: 'string', default: '0.0.0.0' } } }),
  'namespace-controller': fake('namespace-controller', 'skiff.io/controller'),
  'garbage-collector': fake('garbage-collector', 'skiff.io/controller'),
};

describe('distributions', () => {
  it('reads deploy/distros/default.yaml into load requests the host starts in dependency order', async () => {
    const text = await readFile(defaultDistro, 'utf8');
    const listed = parseDistribution(text).spec.plugins;
    // a stand-in for every builtin the file names, with the real types and requirements
    const all: Record<string, PluginDescriptor> = { ...builtins };
    for (const p of listed) {
      if (all[p.source.builtin!]) continue;
      const d = fake(p.name, p.type);
      all[p.source.builtin!] = p.type === 'skiff.io/scheduler-policy' ? { ...d, requires: ['skiff.io/scheduler'] } : d;
    }
    const { distribution, requests } = await loadDistributionFile(defaultDistro, { builtins: all });
    expect(distribution.metadata.name).toBe('default');
    // in the file's order, each with its builtin and config
    expect(requests.map((r) => r.name)).toEqual(listed.map((p) => p.name));
    const byName = (n: string) => requests.find((r) => r.name === n)!;
    expect([byName('rest-api'), byName('namespace-controller'), byName('garbage-collector')].map((r) => [r.name, r.descriptor, r.config])).toEqual([
      ['rest-api', builtins['rest-api'], { port: 6443 }],
      ['namespace-controller', builtins['namespace-controller'], undefined],
      ['garbage-collector', builtins['garbage-collector'], undefined],
    ]);
    expect(requests.map((r) => r.name)).toEqual(expect.arrayContaining(['scheduler', 'node-resources-fit', 'default-preemption']));
    started.length = 0;
    const host = new PluginHost({ kernel: unusedKernel(), logger: silentLogger });
    await host.load(requests);
    const order = started.map(([n]) => n);
    expect(order).toHaveLength(listed.length);
    expect(started[0]).toEqual(['rest-api', { port: 6443, host: '0.0.0.0' }]);
    const sched = order.indexOf('scheduler');
    for (const p of listed.filter((x) => x.type === 'skiff.io/scheduler-policy')) expect(order.indexOf(p.name)).toBeGreaterThan(sched);
    await host.stop();
  });

  it('loads path sources relative to the distribution file and uses the entry name', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'skiff-distro-'));
    try {
      await writeFile(
        path.join(dir, 'dev.ts'),
        `export default { name: 'dev-plugin', version: '2.0.0', type: 'skiff.io/device', start: () => ({ stop() {} }) };\n`,
      );
      await writeFile(
        path.join(dir, 'd.yaml'),
        `apiVersion: plugins.skiff.io/v1alpha1\nkind: Distribution\nmetadata: {name: edge}\nspec:\n  plugins:\n` +
          `    - {name: gpu, type: skiff.io/device, version: 2.0.0, source: {path: ./dev.ts}, config: {x: 1}}\n`,
      );
      const { requests } = await loadDistributionFile(path.join(dir, 'd.yaml'), { builtins });
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ name: 'gpu', config: { x: 1 }, descriptor: { name: 'dev-plugin', version: '2.0.0' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed distributions with every problem', () => {
    expect(() => parseDistribution('kind: Pod\n')).toThrow('no object of kind Distribution found');
    expect(() => parseDistribution('a: [\n')).toThrow('invalid YAML');
    const text = `apiVersion: v1\nkind: Distribution\nmetadata: {}\nspec:\n  plugins:\n    - {name: a, source: {}}\n    - {name: a, type: t, source: {builtin: x, path: y}}\n`;
    expect(() => parseDistribution(text, 'd.yaml')).toThrow(
      'd.yaml: invalid Distribution: apiVersion must be "plugins.skiff.io/v1alpha1"; metadata.name is required; ' +
        'spec.plugins[0].type is required; spec.plugins[0].source must have exactly one of builtin, path; ' +
        'spec.plugins[1].name "a" is listed twice; spec.plugins[1].source must have exactly one of builtin, path',
    );
  });

  it('rejects unknown builtins, wrong types and wrong versions', async () => {
    const dist = (p: string) =>
      parseDistribution(`apiVersion: plugins.skiff.io/v1alpha1\nkind: Distribution\nmetadata: {name: d}\nspec:\n  plugins:\n    - ${p}\n`);
    await expect(resolveDistribution(dist('{name: x, type: t, source: {builtin: nope}}'), { builtins })).rejects.toThrow(
      'distribution "d" plugin "x": unknown builtin "nope" (known: garbage-collector, namespace-controller, rest-api)',
    );
    await expect(resolveDistribution(dist('{name: x, type: skiff.io/cni, source: {builtin: rest-api}}'), { builtins })).rejects.toThrow(
      'declared type "skiff.io/cni" but the plugin has type "skiff.io/api"',
    );
    await expect(
      resolveDistribution(dist('{name: x, type: skiff.io/api, version: 9.9.9, source: {builtin: rest-api}}'), { builtins }),
    ).rejects.toThrow('wants version "9.9.9" but the plugin is version "0.1.0"');
  });
});
