// PluginHost: validates config, orders by `requires`, gives each plugin its own DI scope, starts,
// stops, hot-reloads (start new -> swap services -> drain old -> stop old) and removes plugins.

import 'reflect-metadata'; // first: tsyringe throws at import time without a Reflect polyfill
import { EventEmitter } from 'node:events';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { container as globalContainer, type DependencyContainer } from 'tsyringe';
import type { Kernel } from '../types.ts';
import type { LoadRequest, PluginEventRecord, PluginHostOptions, PluginInfo, PluginRuntimeReport, PluginState, PluginStateEvent } from './host-types.ts';
import { validateConfig } from './config.ts';
import { assertDescriptor, type PluginContext, type PluginDescriptor, type PluginEvent, type PluginHandle } from './descriptor.ts';
import { orderPlugins, type OrderNode } from './order.ts';
import { ProvidedServices } from './services.ts';
import {
  ConfigToken, createConsoleLogger, KernelToken, LoggerToken, tokenId, TracerToken,
  type Logger, type ServiceToken,
} from './tokens.ts';

export type { LoadRequest, PluginEventRecord, PluginHostOptions, PluginInfo, PluginRuntimeReport, PluginState, PluginStateEvent } from './host-types.ts';

interface Instance {
  name: string;
  descriptor: PluginDescriptor;
  config: unknown;
  state: PluginState;
  container: DependencyContainer;
  abort: AbortController;
  staged: Map<symbol, unknown>;
  handle?: PluginHandle;
  startedAt?: Date;
  /** the latest ctx.reportRuntime() */
  runtime?: Record<string, unknown>;
}

interface Entry {
  current: Instance;
  draining?: Instance;
  rawConfig: unknown;
  reloads: number;
  error?: string;
}

const msgOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const node = (name: string, d: PluginDescriptor): OrderNode => ({ name, type: d.type, requires: d.requires ?? [] });

export class PluginHost {
  readonly root: DependencyContainer;
  private readonly kernel: Kernel;
  private readonly logger: Logger;
  private readonly events = new EventEmitter();
  private readonly entries = new Map<string, Entry>(); // in start order
  private readonly failed = new Map<string, PluginInfo>(); // last failed start per name (not running)
  private readonly services: ProvidedServices;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: PluginHostOptions) {
    this.kernel = opts.kernel;
    this.logger = opts.logger ?? createConsoleLogger();
    this.root = opts.container ?? globalContainer.createChildContainer();
    this.root.register(KernelToken, { useValue: opts.kernel });
    this.services = new ProvidedServices(this.root);
  }

  /** Resolve a service from the root scope (services plugins provide, plus what the caller registered). */
  resolve<T>(token: ServiceToken<T>): T {
    return this.root.resolve<T>(token);
  }

  /**
   * `state`: every state change; `runtime`: a plugin's ctx.reportRuntime() (serving or starting
   * instance only); `event`: a plugin's ctx.recordEvent(). Returns the unsubscribe function.
   */
  on(event: 'state', listener: (e: PluginStateEvent) => void): () => void;
  on(event: 'runtime', listener: (e: PluginRuntimeReport) => void): () => void;
  on(event: 'event', listener: (e: PluginEventRecord) => void): () => void;
  on(event: 'state' | 'runtime' | 'event', listener: (...args: any[]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  /** The latest runtime report of the instance serving under `name` (undefined: none yet, or not running). */
  runtime(name: string): Record<string, unknown> | undefined {
    return this.entries.get(name)?.current.runtime;
  }

  /** Validate, order and start plugins. Plugins whose requirements failed are not started. */
  load(requests: ReadonlyArray<PluginDescriptor | LoadRequest>): Promise<PluginInfo[]> {
    return this.serial(async () => {
      const reqs = requests.map((r) => ('descriptor' in r ? r : { descriptor: r }));
      for (const r of reqs) assertDescriptor(r.descriptor, 'load');
      const batch = reqs.map((r) => ({ ...node(r.name ?? r.descriptor.name, r.descriptor), req: r }));
      for (const b of batch) {
        if (this.entries.has(b.name)) throw new Error(`plugin "${b.name}" is already loaded (use reload)`);
      }
      ProvidedServices.checkUnique([
        ...[...this.entries].map(([n, e]) => ({ name: n, d: e.current.descriptor })),
        ...batch.map((b) => ({ name: b.name, d: b.req.descriptor })),
      ]);
      const configs = new Map(batch.map((b) => [b.name, validateConfig(b.name, b.req.descriptor.configSchema, b.req.config)]));
      const ordered = orderPlugins(batch, this.nodes());
      const errors: string[] = [];
      for (const b of ordered) {
        const unmet = (b.requires ?? []).filter((t) => ![...this.entries].some(([n, e]) => n !== b.name && e.current.descriptor.type === t));
        if (unmet.length) {
          const error = `requirement ${unmet.map((t) => `"${t}"`).join(', ')} unavailable: no running plugin of that type`;
          this.recordFailure(b.name, b.req.descriptor, error, true);
          errors.push(`plugin "${b.name}": ${error}`);
          continue;
        }
        try {
          const inst = await this.startInstance(b.name, b.req.descriptor, configs.get(b.name));
          this.failed.delete(b.name);
          this.entries.set(b.name, { current: inst, rawConfig: b.req.config, reloads: 0 });
          this.services.commit(b.name, inst.staged);
          inst.staged.clear();
          this.setState(inst, 'Running', 0);
        } catch (err) {
          this.recordFailure(b.name, b.req.descriptor, msgOf(err), false); // startInstance emitted Failed
          errors.push(msgOf(err));
        }
      }
      if (errors.length) throw new Error(`failed to load ${errors.length} plugin(s): ${errors.join('; ')}`);
      return this.list();
    });
  }

  /**
   * Hot reload: start `descriptor` beside the running version; if it starts, route its services
   * to it, drain the old version, then stop it. If it fails, the old version keeps running and
   * the error is thrown (and shown in list()). `config` defaults to the previous config.
   */
  reload(name: string, descriptor: PluginDescriptor, config?: unknown): Promise<PluginInfo> {
    return this.serial(async () => {
      const entry = this.entries.get(name);
      if (!entry) throw new Error(`plugin "${name}" is not running (load it instead)`);
      assertDescriptor(descriptor, 'reload');
      const old = entry.current;
      try {
        ProvidedServices.checkUnique([...this.entries].map(([n, e]) => ({ name: n, d: n === name ? descriptor : e.current.descriptor })));
        const cfg = validateConfig(name, descriptor.configSchema, config === undefined ? entry.rawConfig : config);
        const order = orderPlugins(this.nodes().map((n) => (n.name === name ? node(name, descriptor) : n)));
        const next = await this.startInstance(name, descriptor, cfg);
        this.applyOrder(order.map((n) => n.name));
        entry.current = next;
        entry.draining = old;
        entry.reloads++;
        entry.error = undefined;
        if (config !== undefined) entry.rawConfig = config;
        this.services.commit(name, next.staged, old.descriptor.provides);
        next.staged.clear();
        this.setState(next, 'Running', entry.reloads);
        await this.retire(old, entry, true);
        entry.draining = undefined;
        return this.info(name, entry);
      } catch (err) {
        entry.error = `reload to ${descriptor.version} failed: ${msgOf(err)}`;
        this.logger.error('plugin reload failed; previous version keeps running', { plugin: name, version: descriptor.version, error: msgOf(err) });
        this.emit(old, entry.reloads, entry.error);
        throw new Error(`plugin "${name}": ${entry.error}`, { cause: err });
      }
    });
  }

  /** Stop and forget one plugin. Refuses while running plugins still require its type. */
  remove(name: string): Promise<void> {
    return this.serial(async () => {
      const entry = this.entries.get(name);
      this.failed.delete(name);
      if (!entry) return;
      try {
        orderPlugins(this.nodes().filter((n) => n.name !== name));
      } catch (err) {
        throw new Error(`cannot remove plugin "${name}": ${msgOf(err)}`, { cause: err });
      }
      this.entries.delete(name);
      await this.retire(entry.current, entry, false);
      this.services.withdraw(name);
    });
  }

  /** Stop every plugin, in reverse start order. */
  stop(): Promise<void> {
    return this.serial(async () => {
      for (const [name, entry] of [...this.entries].reverse()) {
        this.entries.delete(name);
        await this.retire(entry.current, entry, false);
        this.services.withdraw(name);
      }
    });
  }

  /** Same as stop(). */
  stopAll(): Promise<void> {
    return this.stop();
  }

  list(): PluginInfo[] {
    return [...[...this.entries].map(([n, e]) => this.info(n, e)), ...this.failed.values()];
  }

  // -------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private nodes(): OrderNode[] {
    return [...this.entries].map(([n, e]) => node(n, e.current.descriptor));
  }

  /** Re-sort entries (start order; stop is the reverse) after a reload changed `requires`. */
  private applyOrder(names: string[]): void {
    const saved = new Map(this.entries);
    this.entries.clear();
    for (const n of names) this.entries.set(n, saved.get(n)!);
  }

  private async startInstance(name: string, d: PluginDescriptor, config: unknown): Promise<Instance> {
    const child = this.root.createChildContainer();
    const inst: Instance = { name, descriptor: d, config, state: 'Starting', container: child, abort: new AbortController(), staged: new Map() };
    const logger = this.logger.child({ plugin: name, version: d.version });
    const tracer = this.opts.tracer ?? trace.getTracer(`skiff.plugin.${name}`, d.version);
    child.register(LoggerToken, { useValue: logger });
    child.register(TracerToken, { useValue: tracer });
    child.register(ConfigToken, { useValue: config as Record<string, unknown> });
    const declared = new Set<symbol>(d.provides ?? []);
    const ctx: PluginContext = {
      name, version: d.version, type: d.type, kernel: this.kernel, logger, tracer,
      config: config as Record<string, unknown>, container: child, signal: inst.abort.signal,
      resolve: <T>(t: ServiceToken<T>) => child.resolve<T>(t),
      tryResolve: <T>(t: ServiceToken<T>) => {
        if (!child.isRegistered(t, true)) return undefined;
        if (!child.isRegistered(t) && this.services.isWithdrawn(t)) return undefined;
        return child.resolve<T>(t);
      },
      register: <T>(t: ServiceToken<T>, value: T) => void child.register<T>(t, { useValue: value }),
      provide: <T>(t: ServiceToken<T>, value: T) => {
        if (!declared.has(t)) throw new Error(`plugin "${name}" provides "${tokenId(t)}" without declaring it in "provides"`);
        inst.staged.set(t, value);
        child.register<T>(t, { useValue: value });
      },
      reportRuntime: (stats: Record<string, unknown>) => this.reportRuntime(inst, stats),
      recordEvent: (event: PluginEvent) => this.recordEvent(inst, event),
    };
    this.setState(inst, 'Starting', this.entries.get(name)?.reloads ?? 0);
    const span = tracer.startSpan('plugin.start', { attributes: { 'skiff.plugin.name': name, 'skiff.plugin.version': d.version } });
    try {
      const handle = await d.start(ctx);
      if (!handle || typeof handle.stop !== 'function') throw new Error('start() must return a handle with stop()');
      inst.handle = handle;
      const unprovided = [...declared].filter((t) => !inst.staged.has(t));
      if (unprovided.length) throw new Error(`declared but never provided: ${unprovided.map((t) => `"${tokenId(t)}"`).join(', ')}`);
      inst.startedAt = new Date();
      return inst;
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: msgOf(err) });
      if (inst.handle) await this.stopInstance(inst).catch(() => undefined);
      else this.release(inst);
      this.setState(inst, 'Failed', this.entries.get(name)?.reloads ?? 0, msgOf(err));
      throw new Error(`plugin "${name}" (${d.version}) failed to start: ${msgOf(err)}`, { cause: err });
    } finally {
      span.end();
    }
  }

  /** Drain (if `drain`) then stop an instance; failures are logged and recorded, not thrown. */
  private async retire(inst: Instance, entry: Entry, drain: boolean): Promise<void> {
    if (drain && inst.handle?.drain) {
      this.setState(inst, 'Draining', entry.reloads);
      const handle = inst.handle;
      await this.withTimeout(Promise.resolve().then(() => handle.drain!()), this.opts.drainTimeoutMs ?? 30_000, 'drain').catch((err) => {
        this.logger.warn('plugin drain failed; stopping anyway', { plugin: inst.name, version: inst.descriptor.version, error: msgOf(err) });
      });
    }
    try {
      await this.stopInstance(inst);
      this.setState(inst, 'Stopped', entry.reloads);
    } catch (err) {
      entry.error = `stop of ${inst.descriptor.version} failed: ${msgOf(err)}`;
      this.logger.error('plugin stop failed', { plugin: inst.name, version: inst.descriptor.version, error: msgOf(err) });
      this.setState(inst, 'Failed', entry.reloads, entry.error);
    }
  }

  private async stopInstance(inst: Instance): Promise<void> {
    inst.abort.abort();
    const handle = inst.handle;
    inst.handle = undefined;
    try {
      if (handle) await this.withTimeout(Promise.resolve().then(() => handle.stop()), this.opts.stopTimeoutMs ?? 30_000, 'stop');
    } finally {
      this.release(inst);
    }
  }

  private release(inst: Instance): void {
    inst.staged.clear();
    void Promise.resolve(inst.container.dispose()).catch(() => undefined);
  }

  private withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      timer.unref();
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
  }

  private reportRuntime(inst: Instance, stats: Record<string, unknown>): void {
    if (stats === null || typeof stats !== 'object' || Array.isArray(stats)) {
      throw new TypeError(`plugin "${inst.name}": reportRuntime() takes an object of figures`);
    }
    if (inst.state === 'Stopped' || inst.state === 'Failed') return;
    inst.runtime = stats;
    // a draining (replaced) version's figures are not the plugin's any more
    if (inst.state !== 'Starting' && this.entries.get(inst.name)?.current !== inst) return;
    if (this.events.listenerCount('runtime') === 0) return;
    const d = inst.descriptor;
    this.safeEmit('runtime', { name: inst.name, version: d.version, type: d.type, stats } satisfies PluginRuntimeReport);
  }

  private recordEvent(inst: Instance, event: PluginEvent): void {
    const e = event as Partial<PluginEvent> | null;
    if (!e || (e.type !== 'Normal' && e.type !== 'Warning')) {
      throw new TypeError(`plugin "${inst.name}": recordEvent() type must be "Normal" or "Warning", got ${JSON.stringify(e?.type)}`);
    }
    if (typeof e.reason !== 'string' || e.reason === '') throw new TypeError(`plugin "${inst.name}": recordEvent() needs a non-empty reason`);
    const message = typeof e.message === 'string' ? e.message : String(e.message ?? '');
    const d = inst.descriptor;
    this.logger.debug('plugin event', { plugin: inst.name, version: d.version, type: e.type, reason: e.reason, message });
    this.safeEmit('event', { name: inst.name, version: d.version, type: d.type, event: { type: e.type, reason: e.reason, message }, at: new Date() } satisfies PluginEventRecord);
  }

  private safeEmit(event: 'runtime' | 'event', payload: PluginRuntimeReport | PluginEventRecord): void {
    try {
      this.events.emit(event, payload);
    } catch (err) {
      this.logger.error(`plugin ${event} listener failed`, { plugin: payload.name, error: msgOf(err) });
    }
  }

  /** Remember a plugin that did not start (shown by list() until loaded or removed). */
  private recordFailure(name: string, d: PluginDescriptor, error: string, emit: boolean): void {
    this.failed.set(name, { name, version: d.version, type: d.type, requires: d.requires ?? [], state: 'Failed', error, reloads: 0 });
    if (emit) this.publish({ name, version: d.version, type: d.type, state: 'Failed', error, reloads: 0, at: new Date() });
  }

  private setState(inst: Instance, state: PluginState, reloads: number, error?: string): void {
    inst.state = state;
    this.emit(inst, reloads, error);
  }

  private emit(inst: Instance, reloads: number, error?: string): void {
    const d = inst.descriptor;
    this.publish({ name: inst.name, version: d.version, type: d.type, state: inst.state, reloads, at: new Date(), ...(error ? { error } : {}) });
  }

  private publish(e: PluginStateEvent): void {
    this.logger.debug('plugin state', { plugin: e.name, version: e.version, state: e.state, error: e.error });
    try {
      this.events.emit('state', e);
    } catch (err) {
      this.logger.error('plugin state listener failed', { plugin: e.name, error: msgOf(err) });
    }
  }

  private info(name: string, e: Entry): PluginInfo {
    const d = e.current.descriptor;
    return {
      name, version: d.version, type: d.type, requires: d.requires ?? [], state: e.current.state,
      ...(e.error ? { error: e.error } : {}),
      ...(e.current.startedAt ? { startedAt: e.current.startedAt } : {}),
      reloads: e.reloads,
      ...(e.draining ? { draining: { version: e.draining.descriptor.version } } : {}),
    };
  }
}
