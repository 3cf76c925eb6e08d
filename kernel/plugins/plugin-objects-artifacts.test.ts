// The PluginObjectController with `source.artifact` (object store + artifact loaders), and the
// runtime reports / events plugins send through their context.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStore, sha256Digest } from '../store/artifact-store.ts';
import { eventually, sleep, startTestKernel, type TestKernel } from '../testing.ts';
import type { Kernel, KObject } from '../types.ts';
import { definePlugin, type PluginContext } from './descriptor.ts';
import { PluginHost } from './host.ts';
import { EventsResource } from './plugin-events.ts';
import {
  PluginObjectController, PluginsResource, type ArtifactLoader, type PluginObjectControllerOptions, type PluginObjectStatus,
} from './plugin-objects.ts';
import { silentLogger } from './tokens.ts';

const TYPE = 'test.skiff.io/blob';

interface Started {
  plugin: string;
  version: string;
  blob: Record<string, unknown>;
  config: Record<string, unknown>;
  event: 'start' | 'stop';
}
let log: Started[] = [];
/** the running contexts by plugin name (the last started) */
const contexts = new Map<string, PluginContext>();
let loaderCalls: { artifact: string; digest: string; spec: Record<string, unknown> }[] = [];

/** A trivial artifact loader: the bytes are a JSON blob the plugin starts with. */
const blobLoader: ArtifactLoader = (artifact, spec) => {
  loaderCalls.push({ artifact: artifact.name, digest: artifact.digest, spec: { ...spec } });
  const blob = JSON.parse(new TextDecoder().decode(artifact.bytes)) as Record<string, unknown>;
  if (blob.broken) throw new Error('blob says it is broken');
  return definePlugin({
    name: spec.name,
    version: spec.version ?? artifact.digest.slice(7, 19),
    type: spec.type,
    configSchema: { type: 'object', properties: { greeting: { type: 'string', default: 'hello' } } },
    start(ctx) {
      contexts.set(ctx.name, ctx);
      log.push({ plugin: ctx.name, version: ctx.version, blob, config: ctx.config, event: 'start' });
      return { stop: () => void log.push({ plugin: ctx.name, version: ctx.version, blob, config: ctx.config, event: 'stop' }) };
    },
  });
};

let t: TestKernel;
let kernel: Kernel;
let store: ArtifactStore;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  t = await startTestKernel();
  kernel = t.kernel;
  store = new ArtifactStore(t.nc);
});
afterAll(async () => {
  await t?.stop();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const o of (await kernel.list(PluginsResource)).items) await kernel.delete(PluginsResource, undefined, o.metadata.name!);
  for (const e of (await kernel.list(EventsResource, { namespace: 'default' })).items) await kernel.delete(EventsResource, 'default', e.metadata.name!);
  log = [];
  loaderCalls = [];
  contexts.clear();
});

async function startController(opts: Partial<PluginObjectControllerOptions> = {}) {
  const host = new PluginHost({ kernel, logger: silentLogger });
  cleanups.push(() => host.stop());
  const controller = new PluginObjectController({
    kernel, host, builtins: {}, logger: silentLogger, artifacts: store, artifactLoaders: { [TYPE]: blobLoader }, ...opts,
  });
  cleanups.push(() => controller.stop());
  await controller.start();
  return { host, controller };
}

const blob = (o: Record<string, unknown>) => new TextEncoder().encode(JSON.stringify(o));
const pluginObject = (name: string, spec: Record<string, unknown>): KObject => ({ apiVersion: 'plugins.skiff.io/v1alpha1', kind: 'Plugin', metadata: { name }, spec });
const statusOf = async (name: string) => (await kernel.get(PluginsResource, undefined, name)).status as PluginObjectStatus | undefined;
const patchSpec = (name: string, spec: Record<string, unknown>) => kernel.patch(PluginsResource, undefined, name, 'merge', { spec });
const starts = (name: string) => log.filter((e) => e.plugin === name).map((e) => `${e.event} ${e.version} ${String(e.blob.rev)}`);

describe('PluginObjectController: source.artifact', () => {
  it('loads a plugin from an artifact, and every replica hot-reloads it on a new digest', async () => {
    const v1 = await store.put('blob-plugin', blob({ rev: 1 }));
    const a = await startController();
    const b = await startController(); // another server replica on the same store

    await kernel.create(PluginsResource, pluginObject('blobby', {
      type: TYPE, source: { artifact: 'blob-plugin', digest: v1.digest }, config: { greeting: 'hi' }, failurePolicy: 'Ignore',
    }));
    const version1 = v1.digest.slice(7, 19);
    await eventually(async () => {
      expect(a.host.list().find((p) => p.name === 'blobby')).toMatchObject({ state: 'Running', version: version1 });
      expect(b.host.list().find((p) => p.name === 'blobby')).toMatchObject({ state: 'Running', version: version1 });
      expect(await statusOf('blobby')).toMatchObject({ state: 'Running', version: version1, observedGeneration: 1, reloads: 0 });
      return true;
    });
    expect(log.filter((e) => e.event === 'start').map((e) => [e.blob, e.config])).toEqual([
      [{ rev: 1 }, { greeting: 'hi' }],
      [{ rev: 1 }, { greeting: 'hi' }],
    ]);
    expect(loaderCalls[0]).toEqual({
      artifact: 'blob-plugin', digest: v1.digest, spec: { name: 'blobby', type: TYPE, config: { greeting: 'hi' }, failurePolicy: 'Ignore' },
    });

    // a new artifact, then the spec: new digest and version -> hot reload everywhere
    const v2 = await store.put('blob-plugin', blob({ rev: 2 }));
    await patchSpec('blobby', { version: '2.0.0', source: { artifact: 'blob-plugin', digest: v2.digest } });
    await eventually(async () => {
      for (const { host } of [a, b]) expect(host.list().find((p) => p.name === 'blobby')).toMatchObject({ state: 'Running', version: '2.0.0', reloads: 1 });
      expect(await statusOf('blobby')).toMatchObject({ state: 'Running', version: '2.0.0', observedGeneration: 2, reloads: 1 });
      return true;
    });
    expect(starts('blobby').sort()).toEqual([`start ${version1} 1`, `start ${version1} 1`, 'start 2.0.0 2', 'start 2.0.0 2', `stop ${version1} 1`, `stop ${version1} 1`].sort());

    // a failurePolicy change reloads an artifact plugin too (loaders may use it)
    await patchSpec('blobby', { failurePolicy: 'Fail' });
    await eventually(async () => {
      expect(await statusOf('blobby')).toMatchObject({ observedGeneration: 3, reloads: 2 });
      return true;
    });
    expect(loaderCalls.at(-1)!.spec).toMatchObject({ version: '2.0.0', failurePolicy: 'Fail' });

    await kernel.delete(PluginsResource, undefined, 'blobby');
    await eventually(() => a.host.list().length === 0 && b.host.list().length === 0);
  });

  it('reports a missing artifact, a digest mismatch, a type without a loader and a failing loader in the status', async () => {
    const good = await store.put('blob-good', blob({ rev: 1 }));
    await store.put('blob-broken', blob({ broken: true }));
    const other = sha256Digest(blob({ rev: 'other' }));
    const { host } = await startController();

    await kernel.create(PluginsResource, pluginObject('missing', { type: TYPE, source: { artifact: 'blob-nope' } }));
    await kernel.create(PluginsResource, pluginObject('mismatch', { type: TYPE, source: { artifact: 'blob-good', digest: other } }));
    await kernel.create(PluginsResource, pluginObject('no-loader', { type: 'test.skiff.io/unknown', source: { artifact: 'blob-good' } }));
    await kernel.create(PluginsResource, pluginObject('loader-fails', { type: TYPE, source: { artifact: 'blob-broken' } }));

    await eventually(async () => {
      expect(await statusOf('missing')).toMatchObject({
        state: 'Failed', observedGeneration: 1, error: 'spec.source.artifact: artifact "blob-nope" not found in object store bucket "skiff-artifacts"',
      });
      expect(await statusOf('mismatch')).toMatchObject({
        state: 'Failed', error: `spec.source.artifact: artifact "blob-good" has digest ${good.digest}, but ${other} was expected`,
      });
      expect(await statusOf('no-loader')).toMatchObject({
        state: 'Failed', error: `spec.source.artifact "blob-good": no artifact loader for plugin type "test.skiff.io/unknown" (artifact loaders: ${TYPE})`,
      });
      expect(await statusOf('loader-fails')).toMatchObject({ state: 'Failed', error: expect.stringContaining(`the "${TYPE}" artifact loader failed: blob says it is broken`) });
      return true;
    });
    expect(host.list().filter((p) => p.state === 'Running')).toEqual([]);

    // fixing them: upload the missing artifact and name its digest; correct the digest
    const nope = await store.put('blob-nope', blob({ rev: 7 }));
    await patchSpec('missing', { source: { artifact: 'blob-nope', digest: nope.digest } });
    await patchSpec('mismatch', { source: { artifact: 'blob-good', digest: good.digest } });
    await eventually(async () => {
      expect(await statusOf('missing')).toMatchObject({ state: 'Running', observedGeneration: 2 });
      expect((await statusOf('missing'))!.error).toBeUndefined();
      expect(await statusOf('mismatch')).toMatchObject({ state: 'Running', observedGeneration: 2 });
      return true;
    });
    expect(starts('missing')).toEqual([`start ${nope.digest.slice(7, 19)} 7`]);
  });

  it('fails artifact sources clearly when the controller has no artifact store', async () => {
    await startController({ artifacts: undefined });
    await kernel.create(PluginsResource, pluginObject('storeless', { type: TYPE, source: { artifact: 'blob-good' } }));
    await eventually(async () => {
      expect(await statusOf('storeless')).toMatchObject({ state: 'Failed', error: expect.stringContaining('no artifact store is configured') });
      return true;
    });
  });
});

describe('PluginObjectController: runtime reports and events', () => {
  it('writes the latest runtime report into status.runtime, at most once per interval', async () => {
    await store.put('blob-stats', blob({ rev: 1 }));
    let statusWrites = 0;
    const counting = new Proxy(kernel, {
      get: (target, prop) => {
        if (prop === 'update') {
          return (ref: never, obj: KObject, o?: { subresource?: string }) => {
            if (o?.subresource === 'status' && obj.metadata.name === 'stats') statusWrites++;
            return target.update(ref, obj, o);
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await startController({ kernel: counting, runtimeStatusIntervalMs: 300 });
    await kernel.create(PluginsResource, pluginObject('stats', { type: TYPE, source: { artifact: 'blob-stats' } }));
    await eventually(async () => (await statusOf('stats'))?.state === 'Running');
    const ctx = contexts.get('stats')!;

    // a plugin reporting on every call: ~1000 reports in ~1.2 s
    const before = statusWrites;
    const t0 = Date.now();
    let calls = 0;
    while (Date.now() - t0 < 1_200) {
      for (let i = 0; i < 10; i++) ctx.reportRuntime({ calls: ++calls, callP50Us: 12, callP99Us: 80, errors: 0 });
      await sleep(10);
    }
    await eventually(async () => {
      expect((await statusOf('stats'))!.runtime).toEqual({ calls, callP50Us: 12, callP99Us: 80, errors: 0 });
      return true;
    });
    const writes = statusWrites - before;
    expect(writes).toBeGreaterThanOrEqual(2);
    expect(writes).toBeLessThanOrEqual(7); // 1.2 s / 300 ms, plus the final one, never one per report

    // unchanged figures: no more writes
    const settled = statusWrites;
    for (let i = 0; i < 20; i++) ctx.reportRuntime({ calls, callP50Us: 12, callP99Us: 80, errors: 0 });
    await sleep(700);
    expect(statusWrites).toBe(settled);
    const s = await statusOf('stats');
    expect(s).toMatchObject({ state: 'Running', reloads: 0 });
  });

  it('records events as core/v1 Events about the Plugin object, de-duplicated and rate-limited', async () => {
    await store.put('blob-events', blob({ rev: 1 }));
    const { controller } = await startController({ events: { aggregateIntervalMs: 100, burst: 3, refillMs: 60_000 } });
    await kernel.create(PluginsResource, pluginObject('noisy', { type: TYPE, source: { artifact: 'blob-events' } }));
    await eventually(async () => (await statusOf('noisy'))?.state === 'Running');
    const obj = await kernel.get(PluginsResource, undefined, 'noisy');
    const ctx = contexts.get('noisy')!;

    for (let i = 0; i < 50; i++) {
      ctx.recordEvent({ type: 'Warning', reason: 'GuestTrapped', message: 'the guest trapped: unreachable' });
      if (i % 10 === 0) await sleep(30);
    }
    ctx.recordEvent({ type: 'Normal', reason: 'PolicyReady', message: 'policy compiled' });
    const events = async () =>
      (await kernel.list(EventsResource, { namespace: 'default', fieldSelector: 'involvedObject.name=noisy' })).items as (KObject & Record<string, any>)[];
    await eventually(async () => {
      const evs = await events();
      expect(evs.map((e) => [e.type, e.reason, e.count]).sort()).toEqual([
        ['Normal', 'PolicyReady', 1],
        ['Warning', 'GuestTrapped', 50],
      ]);
      return true;
    });
    const trapped = (await events()).find((e) => e.reason === 'GuestTrapped')!;
    expect(trapped).toMatchObject({
      apiVersion: 'v1', kind: 'Event', message: 'the guest trapped: unreachable',
      involvedObject: { apiVersion: 'plugins.skiff.io/v1alpha1', kind: 'Plugin', name: 'noisy', uid: obj.metadata.uid },
      source: { component: 'skiff-plugin-host' },
    });
    expect(typeof trapped.firstTimestamp).toBe('string');
    expect(trapped.metadata.namespace).toBe('default');

    // new distinct events beyond the burst (3, two used) are dropped
    for (let i = 0; i < 5; i++) ctx.recordEvent({ type: 'Warning', reason: 'Distinct', message: `number ${i}` });
    await eventually(async () => (await events()).length === 3);
    await sleep(300);
    expect((await events()).map((e) => e.message).sort()).toEqual(['number 0', 'policy compiled', 'the guest trapped: unreachable']);

    // and counts recorded right before stop are written by stop()
    ctx.recordEvent({ type: 'Warning', reason: 'GuestTrapped', message: 'the guest trapped: unreachable' });
    await controller.stop();
    expect((await events()).find((e) => e.reason === 'GuestTrapped')!.count).toBe(51);
  });
});
