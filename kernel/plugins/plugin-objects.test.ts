import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '../testing.ts';
import type { Kernel, KObject, Watch, WatchEvent } from '../types.ts';
import { definePlugin, type PluginDescriptor } from './descriptor.ts';
import type { BuiltinRegistry, Distribution } from './distribution.ts';
import { PluginHost } from './host.ts';
import { DistributionSpecAnnotation, PluginObjectController, PluginsResource, type PluginObjectStatus } from './plugin-objects.ts';
import { silentLogger } from './tokens.ts';

interface LogEntry {
  plugin: string;
  version: string;
  event: 'start' | 'stop';
  config: Record<string, unknown>;
}
const LOG_KEY = '__skiffPluginObjectsTestLog';
const g = globalThis as unknown as Record<string, LogEntry[]>;
const log = (g[LOG_KEY] ??= []);
const entries = (plugin: string) => log.filter((e) => e.plugin === plugin);

/** A plugin file that needs no imports: it records start/stop (with its config) in a global log. */
function pluginSource(opts: { name: string; version: string; type?: string; broken?: boolean; requires?: string[] }): string {
  const type = opts.type ?? 'skiff.io/controller';
  return `
const log = (globalThis[${JSON.stringify(LOG_KEY)}] ??= []);
export default {
  name: ${JSON.stringify(opts.name)},
  version: ${JSON.stringify(opts.version)},
  type: ${JSON.stringify(type)},
  requires: ${JSON.stringify(opts.requires ?? [])},
  configSchema: { type: 'object', properties: { greeting: { type: 'string', default: 'hello' } } },
  start(ctx) {
    ${opts.broken ? `throw new Error('boom: version ${opts.version} is broken');` : ''}
    log.push({ plugin: ctx.name, version: ctx.version, event: 'start', config: ctx.config });
    return { stop() { log.push({ plugin: ctx.name, version: ctx.version, event: 'stop', config: ctx.config }); } };
  },
};
`;
}

const builtin = (name: string, version = '1.0.0'): PluginDescriptor =>
  definePlugin({
    name, version, type: 'skiff.io/controller',
    configSchema: { type: 'object', properties: { greeting: { type: 'string', default: 'hello' } } },
    start(ctx) {
      log.push({ plugin: ctx.name, version: ctx.version, event: 'start', config: ctx.config });
      return { stop: () => void log.push({ plugin: ctx.name, version: ctx.version, event: 'stop', config: ctx.config }) };
    },
  });

const builtins: BuiltinRegistry = { 'hello-builtin': builtin('hello-builtin'), 'other-builtin': builtin('other-builtin', '3.1.0') };

async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

let t: TestKernel;
let kernel: Kernel;
let dir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  t = await startTestKernel();
  kernel = t.kernel;
  dir = await mkdtemp(path.join(tmpdir(), 'skiff-plugin-objects-'));
});
afterAll(async () => {
  await t?.stop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  // every test starts with no Plugin objects
  for (const o of (await kernel.list(PluginsResource)).items) await kernel.delete(PluginsResource, undefined, o.metadata.name!);
});

/** A host and a started controller (stopped after the test). `setup` runs on the host first. */
async function startController(opts: { setup?: (host: PluginHost) => Promise<unknown>; kernel?: Kernel; distribution?: Distribution; requests?: Parameters<PluginHost['load']>[0] } = {}) {
  const host = new PluginHost({ kernel, logger: silentLogger });
  cleanups.push(() => host.stop());
  if (opts.requests) await host.load(opts.requests);
  await opts.setup?.(host);
  const controller = new PluginObjectController({
    kernel: opts.kernel ?? kernel, host, builtins, logger: silentLogger, baseDir: dir,
    distribution: opts.distribution, requests: opts.requests as never,
  });
  cleanups.push(() => controller.stop());
  await controller.start();
  return { host, controller };
}

const pluginObject = (name: string, spec: Record<string, unknown>): KObject => ({
  apiVersion: 'plugins.skiff.io/v1alpha1', kind: 'Plugin', metadata: { name }, spec,
});
const getObj = (name: string) => kernel.get(PluginsResource, undefined, name);
const statusOf = async (name: string) => (await getObj(name)).status as PluginObjectStatus | undefined;
const patchSpec = (name: string, spec: Record<string, unknown>) => kernel.patch(PluginsResource, undefined, name, 'merge', { spec });
const hostInfo = (host: PluginHost, name: string) => host.list().find((p) => p.name === name);

async function writePlugin(file: string, opts: Parameters<typeof pluginSource>[0]): Promise<string> {
  await writeFile(path.join(dir, file), pluginSource(opts));
  return file;
}

describe('PluginObjectController', () => {
  it('loads a plugin when its Plugin object is created, hot-reloads on a config patch, removes it on delete', async () => {
    const file = await writePlugin('greeter.ts', { name: 'greeter', version: '1.0.0' });
    const { host } = await startController();

    await kernel.create(PluginsResource, pluginObject('greeter', { type: 'skiff.io/controller', version: '1.0.0', source: { path: file }, config: { greeting: 'hi' } }));
    await eventually(async () => {
      expect(entries('greeter')).toEqual([{ plugin: 'greeter', version: '1.0.0', event: 'start', config: { greeting: 'hi' } }]);
      const s = await statusOf('greeter');
      expect(s).toMatchObject({ state: 'Running', phase: 'Running', version: '1.0.0', observedGeneration: 1, reloads: 0 });
      expect(s!.error).toBeUndefined();
      expect(typeof s!.startedAt).toBe('string');
    });
    expect(hostInfo(host, 'greeter')).toMatchObject({ state: 'Running', version: '1.0.0' });

    // config change: hot reload (new instance starts with the new config, then the old stops)
    const patched = await patchSpec('greeter', { config: { greeting: 'good morning' } });
    expect(patched.metadata.generation).toBe(2);
    await eventually(async () => {
      expect(entries('greeter').map((e) => `${e.event} ${e.config.greeting}`)).toEqual(['start hi', 'start good morning', 'stop hi']);
      expect(await statusOf('greeter')).toMatchObject({ state: 'Running', version: '1.0.0', observedGeneration: 2, reloads: 1 });
    });
    expect(hostInfo(host, 'greeter')).toMatchObject({ state: 'Running', reloads: 1 });

    // a status-only write (by the controller itself) does not reload again
    await new Promise((r) => setTimeout(r, 200));
    expect(entries('greeter')).toHaveLength(3);

    await kernel.delete(PluginsResource, undefined, 'greeter');
    await eventually(() => {
      expect(hostInfo(host, 'greeter')).toBeUndefined();
      expect(entries('greeter').at(-1)).toMatchObject({ event: 'stop', config: { greeting: 'good morning' } });
    });
  });

  it('keeps the old version running when the new one fails to start, and shows the error', async () => {
    const good = await writePlugin('stable-v1.ts', { name: 'stable', version: '1.0.0' });
    const broken = await writePlugin('stable-v2.ts', { name: 'stable', version: '2.0.0', broken: true });
    const fixed = await writePlugin('stable-v3.ts', { name: 'stable', version: '3.0.0' });
    const { host } = await startController();

    await kernel.create(PluginsResource, pluginObject('stable', { type: 'skiff.io/controller', version: '1.0.0', source: { path: good } }));
    await eventually(async () => expect(await statusOf('stable')).toMatchObject({ state: 'Running', version: '1.0.0', observedGeneration: 1 }));

    await patchSpec('stable', { version: '2.0.0', source: { path: broken } });
    await eventually(async () => {
      const s = await statusOf('stable');
      expect(s).toMatchObject({ state: 'Running', version: '1.0.0', observedGeneration: 2, reloads: 0 });
      expect(s!.error).toContain('boom: version 2.0.0 is broken');
      expect(s!.message).toContain('version 1.0.0 keeps running');
    });
    expect(hostInfo(host, 'stable')).toMatchObject({ state: 'Running', version: '1.0.0' });
    expect(entries('stable').map((e) => `${e.event} ${e.version}`)).toEqual(['start 1.0.0']);

    // the controller keeps working: a fixed version replaces the old one and clears the error
    await patchSpec('stable', { version: '3.0.0', source: { path: fixed } });
    await eventually(async () => {
      const s = await statusOf('stable');
      expect(s).toMatchObject({ state: 'Running', version: '3.0.0', observedGeneration: 3, reloads: 1 });
      expect(s!.error).toBeUndefined();
      expect(s!.message).toBeUndefined();
    });
    expect(entries('stable').map((e) => `${e.event} ${e.version}`)).toEqual(['start 1.0.0', 'start 3.0.0', 'stop 1.0.0']);
  });

  it('reports plugins that cannot load as Failed without stopping the controller', async () => {
    const broken = await writePlugin('crashy.ts', { name: 'crashy', version: '1.0.0', broken: true });
    const { host } = await startController();

    await kernel.create(PluginsResource, pluginObject('crashy', { type: 'skiff.io/controller', source: { path: broken } }));
    await kernel.create(PluginsResource, pluginObject('from-artifact', { type: 'skiff.io/controller', source: { artifact: 'plugins/x.wasm' } }));
    await kernel.create(PluginsResource, pluginObject('no-such-builtin', { type: 'skiff.io/controller', source: { builtin: 'nope' } }));
    await kernel.create(PluginsResource, pluginObject('wrong-version', { type: 'skiff.io/controller', version: '9.9.9', source: { builtin: 'hello-builtin' } }));
    await kernel.create(PluginsResource, pluginObject('missing-file', { type: 'skiff.io/controller', source: { path: 'does-not-exist.ts' } }));
    await kernel.create(PluginsResource, pluginObject('fine', { type: 'skiff.io/controller', source: { builtin: 'hello-builtin' }, config: { greeting: 'yo' } }));

    await eventually(async () => {
      expect(await statusOf('crashy')).toMatchObject({ state: 'Failed', observedGeneration: 1, error: expect.stringContaining('boom') });
      expect(await statusOf('from-artifact')).toMatchObject({ state: 'Failed', error: expect.stringContaining('no artifact loader for plugin type "skiff.io/controller"') });
      expect(await statusOf('no-such-builtin')).toMatchObject({ state: 'Failed', error: expect.stringContaining('unknown builtin "nope"') });
      expect(await statusOf('wrong-version')).toMatchObject({ state: 'Failed', error: expect.stringContaining('spec.version is "9.9.9" but the plugin is version "1.0.0"') });
      expect(await statusOf('missing-file')).toMatchObject({ state: 'Failed', error: expect.stringContaining('cannot load') });
      expect(await statusOf('fine')).toMatchObject({ state: 'Running', version: '1.0.0' });
    });
    expect(host.list().filter((p) => p.state === 'Running').map((p) => p.name)).toEqual(['fine']);
    expect(entries('fine').at(-1)).toMatchObject({ event: 'start', config: { greeting: 'yo' } });

    // fixing the spec of a failed plugin loads it
    await patchSpec('wrong-version', { version: '1.0.0' });
    await eventually(async () => expect(await statusOf('wrong-version')).toMatchObject({ state: 'Running', observedGeneration: 2 }));
    for (const n of ['crashy', 'from-artifact', 'no-such-builtin', 'wrong-version', 'missing-file', 'fine']) {
      await kernel.delete(PluginsResource, undefined, n);
    }
    await eventually(() => expect(host.list()).toEqual([]));
  });

  it('creates Plugin objects for plugins the host already runs, from the distribution', async () => {
    const file = await writePlugin('dist-path.ts', { name: 'dist-path', version: '0.5.0' });
    const distribution: Distribution = {
      apiVersion: 'plugins.skiff.io/v1alpha1', kind: 'Distribution', metadata: { name: 'test' },
      spec: {
        plugins: [
          { name: 'dist-builtin', type: 'skiff.io/controller', source: { builtin: 'hello-builtin' }, config: { greeting: 'from file' } },
          { name: 'dist-path', type: 'skiff.io/controller', source: { path: file } },
        ],
      },
    };
    const { loadPluginFile } = await import('./loader.ts');
    const requests = [
      // the config as overridden by the server (what actually runs) wins over the file's
      { name: 'dist-builtin', descriptor: builtins['hello-builtin']!, config: { greeting: 'overridden' } },
      { name: 'dist-path', descriptor: await loadPluginFile(path.join(dir, file)) },
    ];
    const { host } = await startController({ distribution, requests });

    const b = await getObj('dist-builtin');
    expect(b.spec).toMatchObject({ type: 'skiff.io/controller', version: '1.0.0', source: { builtin: 'hello-builtin' }, config: { greeting: 'overridden' } });
    expect(b.metadata.generation).toBe(1);
    expect(b.metadata.annotations?.[DistributionSpecAnnotation]).toBeTruthy();
    const p = await getObj('dist-path');
    expect(p.spec).toMatchObject({ type: 'skiff.io/controller', version: '0.5.0', source: { path: file }, config: {} });
    await eventually(async () => {
      expect(await statusOf('dist-builtin')).toMatchObject({ state: 'Running', version: '1.0.0', observedGeneration: 1, reloads: 0 });
      expect(await statusOf('dist-path')).toMatchObject({ state: 'Running', version: '0.5.0', observedGeneration: 1 });
    });
    // adopting did not restart anything
    expect(entries('dist-builtin').map((e) => e.event)).toEqual(['start']);
    expect(hostInfo(host, 'dist-builtin')).toMatchObject({ reloads: 0 });

    // and the objects now drive those plugins
    await patchSpec('dist-builtin', { config: { greeting: 'patched' } });
    await eventually(async () => {
      expect(entries('dist-builtin').at(-2)).toMatchObject({ event: 'start', config: { greeting: 'patched' } });
      expect(await statusOf('dist-builtin')).toMatchObject({ state: 'Running', observedGeneration: 2, reloads: 1 });
    });
    await kernel.delete(PluginsResource, undefined, 'dist-builtin');
    await kernel.delete(PluginsResource, undefined, 'dist-path');
    await eventually(() => expect(host.list()).toEqual([]));
  });

  it('adopts existing objects: user changes win, untouched objects follow the distribution', async () => {
    const distribution: Distribution = {
      apiVersion: 'plugins.skiff.io/v1alpha1', kind: 'Distribution', metadata: { name: 'test' },
      spec: {
        plugins: [
          { name: 'edited', type: 'skiff.io/controller', source: { builtin: 'hello-builtin' }, config: { greeting: 'dist' } },
          { name: 'untouched', type: 'skiff.io/controller', source: { builtin: 'other-builtin' }, config: { greeting: 'dist v2' } },
        ],
      },
    };
    // a previous run wrote both objects; a user then edited "edited"; the distribution changed "untouched"
    const oldUntouched = { type: 'skiff.io/controller', version: '3.0.0', source: { builtin: 'other-builtin' }, config: { greeting: 'dist v1' } };
    const oldKey = JSON.stringify({ config: { greeting: 'dist v1' }, source: { builtin: 'other-builtin' }, type: 'skiff.io/controller', version: '3.0.0' });
    await kernel.create(PluginsResource, {
      ...pluginObject('untouched', oldUntouched),
      metadata: { name: 'untouched', annotations: { [DistributionSpecAnnotation]: oldKey } },
    });
    await kernel.create(PluginsResource, pluginObject('edited', { type: 'skiff.io/controller', source: { builtin: 'hello-builtin' }, config: { greeting: 'user' } }));

    const requests = distribution.spec.plugins.map((p) => ({ name: p.name, descriptor: builtins[p.source.builtin!]!, config: p.config }));
    const { host } = await startController({ distribution, requests });

    await eventually(async () => {
      expect(entries('edited').map((e) => `${e.event} ${e.config.greeting}`)).toEqual(['start dist', 'start user', 'stop dist']);
      expect(await statusOf('edited')).toMatchObject({ state: 'Running', observedGeneration: 1, reloads: 1 });
    });
    const u = await getObj('untouched');
    expect(u.spec).toMatchObject({ version: '3.1.0', config: { greeting: 'dist v2' } });
    expect(u.metadata.generation).toBe(2);
    await eventually(async () => expect(await statusOf('untouched')).toMatchObject({ state: 'Running', version: '3.1.0', observedGeneration: 2, reloads: 0 }));
    expect(entries('untouched').map((e) => e.event)).toEqual(['start']);

    await kernel.delete(PluginsResource, undefined, 'edited');
    await kernel.delete(PluginsResource, undefined, 'untouched');
    await eventually(() => expect(host.list()).toEqual([]));
  });

  it('loads objects whose plugins require each other, whatever the order', async () => {
    const needy = await writePlugin('a-needy.ts', { name: 'a-needy', version: '1.0.0', requires: ['test.skiff.io/dep'] });
    const dep = await writePlugin('b-dep.ts', { name: 'b-dep', version: '1.0.0', type: 'test.skiff.io/dep' });
    await kernel.create(PluginsResource, pluginObject('a-needy', { type: 'skiff.io/controller', source: { path: needy } }));
    await kernel.create(PluginsResource, pluginObject('b-dep', { type: 'test.skiff.io/dep', source: { path: dep } }));
    const { host } = await startController();
    expect(host.list().map((p) => [p.name, p.state])).toEqual([['b-dep', 'Running'], ['a-needy', 'Running']]);
    await eventually(async () => expect(await statusOf('a-needy')).toMatchObject({ state: 'Running', observedGeneration: 1 }));

    // deleting the dependency first: refused by the host while a-needy runs; done once a-needy goes
    await kernel.delete(PluginsResource, undefined, 'b-dep');
    await new Promise((r) => setTimeout(r, 200));
    expect(hostInfo(host, 'b-dep')).toMatchObject({ state: 'Running' });
    await kernel.delete(PluginsResource, undefined, 'a-needy');
    await eventually(() => expect(host.list()).toEqual([]));
  });

  it('re-lists after the watch expires (410), noticing what changed meanwhile', async () => {
    // a kernel whose first Plugin watch stays silent until released, then answers 410 Gone
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let watches = 0;
    const watch: Kernel['watch'] = (ref, opts) => {
      if (watches++ > 0) return kernel.watch(ref, opts);
      let stopped = false;
      const w: Watch = {
        stop: () => {
          stopped = true;
          release();
        },
        async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
          await released;
          if (stopped) return;
          yield { type: 'ERROR', object: { apiVersion: 'v1', kind: 'Status', metadata: {}, code: 410, reason: 'Expired' } as KObject };
        },
      };
      return w;
    };
    const flaky = new Proxy(kernel, {
      get: (target, prop) => {
        if (prop === 'watch') return watch;
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await kernel.create(PluginsResource, pluginObject('survivor', { type: 'skiff.io/controller', source: { builtin: 'hello-builtin' } }));
    await kernel.create(PluginsResource, pluginObject('doomed', { type: 'skiff.io/controller', source: { builtin: 'hello-builtin' } }));
    const { host } = await startController({ kernel: flaky });
    expect(host.list().map((p) => p.name).sort()).toEqual(['doomed', 'survivor']);

    // while the watch is "broken": one deleted, one changed, one created
    await kernel.delete(PluginsResource, undefined, 'doomed');
    await patchSpec('survivor', { config: { greeting: 'changed while away' } });
    await kernel.create(PluginsResource, pluginObject('newcomer', { type: 'skiff.io/controller', source: { builtin: 'other-builtin' } }));
    await new Promise((r) => setTimeout(r, 100));
    expect(host.list().map((p) => p.name).sort()).toEqual(['doomed', 'survivor']);

    release();
    await eventually(async () => {
      expect(host.list().map((p) => p.name).sort()).toEqual(['newcomer', 'survivor']);
      expect(await statusOf('survivor')).toMatchObject({ state: 'Running', observedGeneration: 2, reloads: 1 });
      expect(await statusOf('newcomer')).toMatchObject({ state: 'Running', version: '3.1.0' });
    });
    expect(watches).toBe(2);
    // and the new watch works
    await kernel.delete(PluginsResource, undefined, 'survivor');
    await kernel.delete(PluginsResource, undefined, 'newcomer');
    await eventually(() => expect(host.list()).toEqual([]));
  });
});
