import { describe, expect, it } from 'vitest';
import { definePlugin, type PluginDescriptor, type PluginHandle } from './descriptor.ts';
import { PluginHost, type PluginStateEvent } from './host.ts';
import { unusedKernel } from './testing.ts';
import { ConfigToken, createServiceToken, KernelToken, LoggerToken, silentLogger } from './tokens.ts';

const newHost = () => new PluginHost({ kernel: unusedKernel(), logger: silentLogger });

function recorder() {
  const log: string[] = [];
  const plugin = (name: string, type: string, requires: string[] = [], version = '1.0.0'): PluginDescriptor =>
    definePlugin({
      name, version, type, requires,
      start() {
        log.push(`start ${name}@${version}`);
        return { stop: () => void log.push(`stop ${name}@${version}`) };
      },
    });
  return { log, plugin };
}

interface Counter {
  next(): number;
}
const CounterToken = createServiceToken<Counter>('test.counter');
const SecretToken = createServiceToken<string>('test.secret');

describe('PluginHost ordering', () => {
  it('starts by requires and stops in reverse', async () => {
    const { log, plugin } = recorder();
    const host = newHost();
    await host.load([
      plugin('scheduler', 'skiff.io/controller', ['skiff.io/scheduler-policy', 'skiff.io/api']),
      plugin('spread', 'skiff.io/scheduler-policy'),
      plugin('api', 'skiff.io/api'),
    ]);
    expect(host.list().map((p) => [p.name, p.state])).toEqual([
      ['spread', 'Running'], ['api', 'Running'], ['scheduler', 'Running'],
    ]);
    await host.stop();
    expect(log).toEqual([
      'start spread@1.0.0', 'start api@1.0.0', 'start scheduler@1.0.0',
      'stop scheduler@1.0.0', 'stop api@1.0.0', 'stop spread@1.0.0',
    ]);
    expect(host.list()).toEqual([]);
  });

  it('rejects missing requirements and cycles before starting anything', async () => {
    const { log, plugin } = recorder();
    const host = newHost();
    await expect(host.load([plugin('scheduler', 'skiff.io/controller', ['skiff.io/scheduler-policy'])])).rejects.toThrow(
      'plugin "scheduler" requires type "skiff.io/scheduler-policy" but no plugin provides it',
    );
    await expect(host.load([plugin('a', 'ta', ['tb']), plugin('b', 'tb', ['ta']), plugin('c', 'tc')])).rejects.toThrow(
      'dependency cycle: a -> b -> a',
    );
    expect(log).toEqual([]);
  });

  it('lets later loads depend on running plugins and refuses to remove what they need', async () => {
    const { log, plugin } = recorder();
    const host = newHost();
    await host.load([plugin('api', 'skiff.io/api')]);
    await host.load([plugin('ns', 'skiff.io/controller', ['skiff.io/api'])]);
    await expect(host.remove('api')).rejects.toThrow('cannot remove plugin "api": plugin "ns" requires type "skiff.io/api"');
    await host.remove('ns');
    await host.remove('api');
    expect(log).toEqual(['start api@1.0.0', 'start ns@1.0.0', 'stop ns@1.0.0', 'stop api@1.0.0']);
  });

  it('marks a failing plugin and the plugins that need it Failed, and starts the rest', async () => {
    const { log, plugin } = recorder();
    const host = newHost();
    const bad = definePlugin({ name: 'bad', version: '1', type: 'tb', start: () => Promise.reject(new Error('no socket')) });
    await expect(host.load([bad, plugin('needs-bad', 'x', ['tb']), plugin('ok', 'y')])).rejects.toThrow(
      /plugin "bad" \(1\) failed to start: no socket.*plugin "needs-bad": requirement "tb" unavailable/,
    );
    expect(host.list().map((p) => [p.name, p.state])).toEqual([['ok', 'Running'], ['bad', 'Failed'], ['needs-bad', 'Failed']]);
    expect(host.list().find((p) => p.name === 'bad')!.error).toContain('no socket');
    expect(log).toEqual(['start ok@1.0.0']);
  });
});

describe('PluginHost config', () => {
  const schema = { type: 'object', properties: { port: { type: 'integer', default: 6443 } }, additionalProperties: false };

  it('passes validated config with defaults as ctx.config and ConfigToken', async () => {
    const seen: unknown[] = [];
    const p = definePlugin<{ port: number }>({
      name: 'api', version: '1', type: 'skiff.io/api', configSchema: schema,
      start(ctx) {
        seen.push(ctx.config.port, ctx.resolve(ConfigToken), ctx.resolve(KernelToken) === ctx.kernel, typeof ctx.resolve(LoggerToken).info);
        return { stop() {} };
      },
    });
    await newHost().load([{ descriptor: p }]);
    expect(seen).toEqual([6443, { port: 6443 }, true, 'function']);
  });

  it('rejects bad config naming plugin and field, starting nothing', async () => {
    const { log, plugin } = recorder();
    const p = definePlugin({ name: 'api', version: '1', type: 'skiff.io/api', configSchema: schema, start: () => ({ stop() {} }) });
    await expect(newHost().load([plugin('other', 'x'), { descriptor: p, config: { port: 'high' } }])).rejects.toThrow(
      'plugin "api" has invalid config: field "port" must be integer',
    );
    expect(log).toEqual([]);
  });
});

describe('PluginHost DI scopes', () => {
  it('keeps private registrations private and makes provided services visible to later plugins', async () => {
    const host = newHost();
    const results: Record<string, unknown> = {};
    const provider = definePlugin({
      name: 'counter', version: '1', type: 'svc', provides: [CounterToken],
      start(ctx) {
        let n = 0;
        ctx.register(SecretToken, 'counter-secret');
        ctx.provide(CounterToken, { next: () => ++n });
        results.ownSecret = ctx.resolve(SecretToken);
        results.ownCounter = ctx.resolve(CounterToken).next();
        return { stop() {} };
      },
    });
    const consumer = definePlugin({
      name: 'consumer', version: '1', type: 'user', requires: ['svc'],
      start(ctx) {
        results.counter = ctx.resolve(CounterToken).next();
        results.secret = ctx.tryResolve(SecretToken);
        results.secretThrows = (() => { try { ctx.resolve(SecretToken); return false; } catch { return true; } })();
        results.childSeesSecret = ctx.container.isRegistered(SecretToken, true);
        return { stop() {} };
      },
    });
    await host.load([consumer, provider]);
    expect(results).toEqual({ ownSecret: 'counter-secret', ownCounter: 1, counter: 2, secret: undefined, secretThrows: true, childSeesSecret: false });
    expect(host.root.isRegistered(SecretToken)).toBe(false);
    expect(host.resolve(CounterToken).next()).toBe(3);
    await host.remove('consumer');
    await host.remove('counter');
    expect(() => host.resolve(CounterToken)).toThrow('service "test.counter" is not provided by any running plugin');
  });

  it('refuses undeclared provides, unprovided declarations and duplicate providers', async () => {
    const host = newHost();
    const undeclared = definePlugin({ name: 'u', version: '1', type: 't', start: (ctx) => (ctx.provide(CounterToken, { next: () => 0 }), { stop() {} }) });
    await expect(host.load([undeclared])).rejects.toThrow('plugin "u" provides "test.counter" without declaring it in "provides"');
    const lazy = definePlugin({ name: 'l', version: '1', type: 't', provides: [CounterToken], start: () => ({ stop() {} }) });
    await expect(host.load([lazy])).rejects.toThrow('declared but never provided: "test.counter"');
    const mk = (name: string) =>
      definePlugin({ name, version: '1', type: 't', provides: [CounterToken], start: (ctx) => (ctx.provide(CounterToken, { next: () => 0 }), { stop() {} }) });
    await expect(host.load([mk('a'), mk('b')])).rejects.toThrow('service "test.counter" is provided by both plugin "a" and plugin "b"');
  });
});

describe('PluginHost hot reload', () => {
  function counterPlugin(version: string, opts: { drainGate?: Promise<void>; log: string[]; failStart?: boolean }) {
    return definePlugin({
      name: 'counter', version, type: 'svc', provides: [CounterToken],
      async start(ctx): Promise<PluginHandle> {
        opts.log.push(`start ${version}`);
        await new Promise((r) => setTimeout(r, 5));
        if (opts.failStart) throw new Error(`v${version} is broken`);
        ctx.provide(CounterToken, { next: () => Number(version) });
        return {
          async drain() {
            opts.log.push(`drain ${version} begin`);
            await opts.drainGate;
            opts.log.push(`drain ${version} end`);
          },
          stop: () => void opts.log.push(`stop ${version}`),
        };
      },
    });
  }

  it('keeps the old version serving until the new one is up and its in-flight work has finished', async () => {
    const log: string[] = [];
    const events: PluginStateEvent[] = [];
    const host = newHost();
    host.on('state', (e) => events.push(e));
    let release!: () => void;
    const inFlight = new Promise<void>((r) => (release = r));
    await host.load([counterPlugin('1', { log, drainGate: inFlight })]);
    const reloading = host.reload('counter', counterPlugin('2', { log }));
    // v2 is still starting: v1 serves
    expect(host.resolve(CounterToken).next()).toBe(1);
    expect(host.list()[0]).toMatchObject({ version: '1', state: 'Running', reloads: 0 });
    await new Promise((r) => setTimeout(r, 30));
    // v2 is up and serves new work; v1 drains, its in-flight work is pending, so it is not stopped
    expect(host.resolve(CounterToken).next()).toBe(2);
    expect(host.list()[0]).toMatchObject({ version: '2', state: 'Running', draining: { version: '1' }, reloads: 1 });
    expect(log).toEqual(['start 1', 'start 2', 'drain 1 begin']);
    release();
    const info = await reloading;
    expect(info).toMatchObject({ name: 'counter', version: '2', state: 'Running', reloads: 1 });
    expect(info.draining).toBeUndefined();
    expect(log).toEqual(['start 1', 'start 2', 'drain 1 begin', 'drain 1 end', 'stop 1']);
    const states = (v: string) => events.filter((e) => e.version === v).map((e) => e.state);
    expect(states('1')).toEqual(['Starting', 'Running', 'Draining', 'Stopped']);
    expect(states('2')).toEqual(['Starting', 'Running']);
    await host.stop();
    expect(states('2')).toEqual(['Starting', 'Running', 'Stopped']);
  });

  it('gives up on a drain that never finishes after drainTimeoutMs and stops the old version', async () => {
    const log: string[] = [];
    const host = new PluginHost({ kernel: unusedKernel(), logger: silentLogger, drainTimeoutMs: 20 });
    await host.load([counterPlugin('1', { log, drainGate: new Promise(() => {}) })]);
    await host.reload('counter', counterPlugin('2', { log }));
    expect(log).toEqual(['start 1', 'start 2', 'drain 1 begin', 'stop 1']);
  });

  it('leaves the old version running when the new one fails to start', async () => {
    const log: string[] = [];
    const host = newHost();
    await host.load([counterPlugin('1', { log })]);
    await expect(host.reload('counter', counterPlugin('2', { log, failStart: true }))).rejects.toThrow(
      'plugin "counter": reload to 2 failed: plugin "counter" (2) failed to start: v2 is broken',
    );
    expect(host.resolve(CounterToken).next()).toBe(1);
    expect(host.list()).toMatchObject([{ name: 'counter', version: '1', state: 'Running', reloads: 0, error: expect.stringContaining('v2 is broken') }]);
    expect(log).toEqual(['start 1', 'start 2']);
    // bad config also leaves it running
    const withSchema = { ...counterPlugin('3', { log }), configSchema: { type: 'object', properties: { n: { type: 'integer' } } } };
    await expect(host.reload('counter', withSchema, { n: 'x' })).rejects.toThrow('field "n" must be integer');
    await host.reload('counter', counterPlugin('4', { log }));
    expect(host.list()[0]).toMatchObject({ version: '4', state: 'Running', reloads: 1 });
    expect(host.list()[0]!.error).toBeUndefined();
  });

  it('rejects a reload that would break a dependant', async () => {
    const { plugin } = recorder();
    const host = newHost();
    await host.load([plugin('api', 'skiff.io/api'), plugin('ns', 'c', ['skiff.io/api'])]);
    await expect(host.reload('api', plugin('api', 'skiff.io/other', [], '2'))).rejects.toThrow('plugin "ns" requires type "skiff.io/api"');
    expect(host.list().map((p) => p.version)).toEqual(['1.0.0', '1.0.0']);
  });
});

describe('PluginHost runtime reports and events (no controller)', () => {
  it('keeps the serving instance\'s latest report in memory and hands reports and events to listeners', async () => {
    const host = newHost();
    const ctxs: Record<string, import('./descriptor.ts').PluginContext> = {};
    const plugin = (version: string): PluginDescriptor =>
      definePlugin({
        name: 'counting', version, type: 'test.skiff.io/counting',
        start(ctx) {
          ctxs[version] = ctx;
          ctx.reportRuntime({ calls: 0, version });
          return { stop() {} };
        },
      });
    const runtime: unknown[] = [];
    const events: unknown[] = [];
    host.on('runtime', (e) => runtime.push([e.name, e.version, e.stats]));
    host.on('event', (e) => events.push([e.name, e.version, e.event]));

    await host.load([plugin('1.0.0')]);
    expect(host.runtime('counting')).toEqual({ calls: 0, version: '1.0.0' });
    ctxs['1.0.0']!.reportRuntime({ calls: 5 });
    ctxs['1.0.0']!.recordEvent({ type: 'Warning', reason: 'SlowCall', message: 'a call took 2 s' });
    expect(host.runtime('counting')).toEqual({ calls: 5 });

    await host.reload('counting', plugin('2.0.0'));
    expect(host.runtime('counting')).toEqual({ calls: 0, version: '2.0.0' });
    ctxs['1.0.0']!.reportRuntime({ calls: 99 }); // the replaced version: stopped, ignored
    expect(host.runtime('counting')).toEqual({ calls: 0, version: '2.0.0' });
    expect(runtime).toEqual([
      ['counting', '1.0.0', { calls: 0, version: '1.0.0' }],
      ['counting', '1.0.0', { calls: 5 }],
      ['counting', '2.0.0', { calls: 0, version: '2.0.0' }],
    ]);
    expect(events).toEqual([['counting', '1.0.0', { type: 'Warning', reason: 'SlowCall', message: 'a call took 2 s' }]]);

    expect(() => ctxs['2.0.0']!.recordEvent({ type: 'Bad' as 'Normal', reason: 'X', message: '' })).toThrow('type must be "Normal" or "Warning"');
    expect(() => ctxs['2.0.0']!.recordEvent({ type: 'Normal', reason: '', message: '' })).toThrow('non-empty reason');
    expect(() => ctxs['2.0.0']!.reportRuntime(null as never)).toThrow('takes an object');
    await host.stop();
    expect(host.runtime('counting')).toBeUndefined();
  });

  it('works without listeners (reports are kept, events go nowhere)', async () => {
    const host = newHost();
    await host.load([
      definePlugin({
        name: 'quiet', version: '1.0.0', type: 'test.skiff.io/quiet',
        start(ctx) {
          ctx.reportRuntime({ ok: true });
          ctx.recordEvent({ type: 'Normal', reason: 'Started', message: 'hello' });
          return { stop() {} };
        },
      }),
    ]);
    expect(host.runtime('quiet')).toEqual({ ok: true });
    await host.stop();
  });
});
