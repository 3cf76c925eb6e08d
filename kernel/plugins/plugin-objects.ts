// PluginObjectController: `plugins.skiff.io/v1alpha1` `Plugin` objects in the store say which
// plugins run; this controller makes a PluginHost follow them.
//
// - start(): every plugin the host already runs (from the distribution file) gets a Plugin
//   object, unless one exists. An existing object is adopted: if its spec still equals what the
//   controller last wrote (the `plugins.skiff.io/distribution-spec` annotation) and the
//   distribution has changed since, the object is brought up to date; if a user changed it, the
//   user's spec wins and the plugin is reloaded to it.
// - then list + watch Plugin objects (re-list after an ERROR/410 or a broken watch):
//   created -> host.load; spec changed (type/version/source/config) -> host.reload (the old
//   version keeps running if the new one fails); deleted -> host.remove.
// - status (through the status subresource, retried on 409) mirrors the host:
//   {state, phase, version, observedGeneration, reloads, startedAt, message?, error?, runtime?}
//   where runtime is the plugin's latest ctx.reportRuntime() (written at most every ~2 s).
// - a plugin's ctx.recordEvent() becomes a core/v1 Event about its Plugin object (de-duplicated,
//   rate-limited: plugin-events.ts).
// - `source.artifact` plugins are fetched from the object store (`artifacts`, digest checked) and
//   turned into descriptors by the artifact loader of their type (`artifactLoaders`).
//
// A plugin that fails to load or reload is reported in its status; it never stops the controller.
// A failed load is retried after another plugin loads (it may have been waiting for a `requires`);
// a refused remove (other plugins still require its type) is retried after another remove.
// This file: watch + load/reload/remove; the rest is in plugin-objects-{spec,adopt,source,status,runtime}.ts
// and plugin-events.ts.

import path from 'node:path';
import type { Kernel, KObject, Watch, WatchEvent } from '../types.ts';
import type { PluginDescriptor } from './descriptor.ts';
import type { PluginHost } from './host.ts';
import type { PluginEventRecord, PluginInfo, PluginRuntimeReport, PluginStateEvent } from './host-types.ts';
import { loadPluginFile } from './loader.ts';
import { PluginEventRecorder } from './plugin-events.ts';
import { adoptRunning } from './plugin-objects-adopt.ts';
import { resolvePluginSource } from './plugin-objects-source.ts';
import {
  isObj, msgOf, PluginsResource, sleep, specKey, specOf, stableJSON,
  type PluginObjectControllerOptions, type PluginObjectSpec, type PluginObjectStatus, type Tracked,
} from './plugin-objects-spec.ts';
import { RuntimeThrottle } from './plugin-objects-runtime.ts';
import { computeStatus, PluginStatusWriter } from './plugin-objects-status.ts';
import { createConsoleLogger, type Logger } from './tokens.ts';

export {
  PluginsResource, PluginObjectAPIVersion, DistributionSpecAnnotation, stableJSON,
  type PluginObjectSource, type PluginObjectSpec, type PluginObjectState, type PluginObjectStatus, type PluginObjectControllerOptions,
  type ArtifactLoader, type ArtifactLoaders, type ArtifactLoaderInput, type ArtifactLoaderSpec, type PluginEventOptions,
} from './plugin-objects-spec.ts';

export class PluginObjectController {
  private readonly kernel: Kernel;
  private readonly host: PluginHost;
  private readonly logger: Logger;
  private readonly baseDir: string;
  private readonly loadFile: (file: string) => Promise<PluginDescriptor>;
  private readonly tracked = new Map<string, Tracked>();
  /** names whose object is gone but whose remove the host refused */
  private readonly pendingRemovals = new Set<string>();
  private readonly status: PluginStatusWriter;
  private readonly runtime: RuntimeThrottle;
  private readonly events: PluginEventRecorder;
  private unsubscribe: (() => void)[] = [];
  private watch?: Watch;
  private loop?: Promise<void>;
  private stopped = false;
  private started = false;
  private retrying = false;

  constructor(private readonly opts: PluginObjectControllerOptions) {
    this.kernel = opts.kernel;
    this.host = opts.host;
    this.logger = opts.logger ?? createConsoleLogger();
    this.baseDir = path.resolve(opts.baseDir ?? process.cwd());
    this.loadFile = opts.loadFile ?? ((f) => loadPluginFile(f));
    const { kernel, logger } = this;
    this.status = new PluginStatusWriter({
      kernel, logger, isStopped: () => this.stopped, isTracked: (n) => this.tracked.has(n), statusOf: (n, spec) => this.statusOf(n, spec),
    });
    this.runtime = new RuntimeThrottle({ intervalMs: opts.runtimeStatusIntervalMs ?? 2_000, logger, publish: (n) => this.scheduleStatus(n) });
    this.events = new PluginEventRecorder({ kernel, logger, ...opts.events });
  }

  /** Create/adopt objects for running plugins, apply every Plugin object, then keep watching. */
  async start(): Promise<void> {
    if (this.started) throw new Error('PluginObjectController already started');
    this.started = true;
    this.unsubscribe = [
      this.host.on('state', (e) => this.onHostState(e)),
      this.host.on('runtime', (e) => this.onRuntime(e)),
      this.host.on('event', (e) => this.onEvent(e)),
    ];
    const { kernel, host, logger, opts, tracked } = this;
    await adoptRunning({ kernel, host, logger, opts, tracked, scheduleStatus: (name) => this.scheduleStatus(name) });
    for (const name of tracked.keys()) {
      const stats = host.runtime(name); // reported before we listened
      if (stats) this.runtime.report(name, stats);
    }
    const rv = await this.relist();
    this.loop = this.run(rv);
  }

  /** Stop watching (plugins keep running: the host owns them). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    this.runtime.stop();
    this.watch?.stop();
    await this.loop?.catch(() => undefined);
    await this.status.drain();
    await this.events.stop();
  }

  // --- list / watch --------------------------------------------------------------------------

  /** List all Plugin objects, reconcile each (and the disappearance of tracked ones); returns the list's resourceVersion. */
  private async relist(): Promise<string> {
    const list = await this.kernel.list(PluginsResource);
    const mine = list.items.filter((o) => this.isMine(o));
    const names = new Set(mine.map((o) => o.metadata.name!));
    for (const name of [...this.tracked.keys()]) {
      if (!names.has(name)) await this.deleted(name);
    }
    for (const o of mine) await this.reconcile(o);
    return list.metadata.resourceVersion;
  }

  private async run(startRv: string): Promise<void> {
    let rv: string | undefined = startRv;
    let backoff = 100;
    while (!this.stopped) {
      try {
        if (rv === undefined) rv = await this.relist();
        if (this.stopped) break;
        const w: Watch = this.kernel.watch(PluginsResource, { resourceVersion: rv, allowWatchBookmarks: true });
        this.watch = w;
        if (this.stopped) {
          w.stop();
          break;
        }
        let expired = false;
        let events = 0;
        try {
          for await (const ev of w) {
            if (this.stopped) break;
            if (ev.type === 'ERROR') {
              this.logger.info('Plugin watch expired; re-listing', { status: stableJSON(ev.object) });
              expired = true;
              break;
            }
            events++;
            const next = ev.object.metadata?.resourceVersion;
            if (next) rv = next;
            if (ev.type !== 'BOOKMARK') await this.handle(ev);
            backoff = 100;
          }
        } finally {
          w.stop();
        }
        if (expired) rv = undefined;
        else if (!this.stopped && events === 0) {
          await sleep(backoff); // ended at once: do not spin
          backoff = Math.min(backoff * 2, 5_000);
        }
      } catch (err) {
        if (this.stopped) break;
        this.logger.warn('Plugin watch failed; re-listing', { error: msgOf(err) });
        rv = undefined;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  private async handle(ev: WatchEvent): Promise<void> {
    const obj = ev.object;
    const name = obj.metadata.name;
    if (!name) return;
    if (!this.isMine(obj)) {
      // moved to another node: forget it (and stop it here)
      if (this.tracked.has(name)) await this.deleted(name);
      return;
    }
    if (ev.type === 'DELETED') await this.deleted(name);
    else await this.reconcile(obj);
  }

  private isMine(obj: KObject): boolean {
    const node = specOf(obj).node;
    return (node || undefined) === this.opts.node;
  }

  // --- reconcile -----------------------------------------------------------------------------

  private running(name: string): PluginInfo | undefined {
    const info = this.host.list().find((p) => p.name === name);
    return info && info.state !== 'Failed' ? info : undefined;
  }

  private async reconcile(obj: KObject, force = false): Promise<void> {
    if (this.stopped) return;
    const name = obj.metadata.name!;
    if (obj.metadata.deletionTimestamp) return this.deleted(name);
    this.pendingRemovals.delete(name);
    const gen = obj.metadata.generation ?? 1;
    const spec = specOf(obj);
    const key = specKey(spec);
    let t = this.tracked.get(name);
    if (!t) this.tracked.set(name, (t = { uid: obj.metadata.uid }));
    else if (t.uid !== obj.metadata.uid) {
      // the object was replaced: act on the new one even at the same generation
      t.uid = obj.metadata.uid;
      t.attempted = undefined;
    }
    const info = this.running(name);
    if (info && t.specKey === key) {
      if (t.attempted !== gen || t.error !== undefined) {
        t.attempted = gen;
        t.error = t.message = undefined;
      }
      return this.scheduleStatus(name, obj);
    }
    if (t.attempted === gen && !force) return this.scheduleStatus(name, obj); // tried already; wait for a change
    t.attempted = gen;
    if (info) await this.reloadPlugin(name, t, spec, key, gen, info);
    else await this.loadPlugin(name, t, spec, key, gen);
    this.scheduleStatus(name);
  }

  private async loadPlugin(name: string, t: Tracked, spec: Partial<PluginObjectSpec>, key: string, gen: number): Promise<void> {
    try {
      const descriptor = await this.resolve(name, spec);
      await this.host.load([{ name, descriptor, config: isObj(spec.config) ? spec.config : {} }]);
      t.specKey = key;
      t.error = t.message = undefined;
      t.loadFailed = false;
      this.logger.info('plugin loaded from its Plugin object', { plugin: name, version: descriptor.version, generation: gen });
    } catch (err) {
      const hostError = this.host.list().find((p) => p.name === name && p.state === 'Failed')?.error;
      t.error = hostError ?? msgOf(err);
      t.message = `generation ${gen} could not be loaded`;
      t.loadFailed = true;
      t.specKey = undefined;
      this.logger.warn('plugin from Plugin object failed to load', { plugin: name, generation: gen, error: t.error });
      return;
    }
    await this.retryFailedLoads();
  }

  private async reloadPlugin(name: string, t: Tracked, spec: Partial<PluginObjectSpec>, key: string, gen: number, info: PluginInfo): Promise<void> {
    try {
      const descriptor = await this.resolve(name, spec);
      await this.host.reload(name, descriptor, isObj(spec.config) ? spec.config : {});
      t.specKey = key;
      t.error = t.message = undefined;
      this.logger.info('plugin reloaded from its Plugin object', { plugin: name, version: descriptor.version, generation: gen });
    } catch (err) {
      t.error = msgOf(err);
      const now = this.running(name);
      t.message = now
        ? `generation ${gen} could not be applied; version ${now.version} keeps running`
        : `generation ${gen} could not be applied`;
      this.logger.warn('plugin reload from Plugin object failed', { plugin: name, from: info.version, generation: gen, error: t.error });
    }
  }

  /** Retry loads that failed (a `requires` may be met now), until a pass makes no progress. */
  private async retryFailedLoads(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      for (let progress = true; progress && !this.stopped; ) {
        progress = false;
        for (const [name, t] of [...this.tracked]) {
          if (!t.loadFailed || this.running(name)) continue;
          let obj: KObject;
          try {
            obj = await this.kernel.get(PluginsResource, undefined, name);
          } catch {
            continue;
          }
          await this.reconcile(obj, true);
          if (this.running(name)) progress = true;
        }
      }
    } finally {
      this.retrying = false;
    }
  }

  /** The object is gone (or being deleted): remove the plugin from the host. */
  private async deleted(name: string): Promise<void> {
    this.tracked.delete(name);
    this.runtime.forget(name);
    this.events.forget(name);
    if (!this.host.list().some((p) => p.name === name)) return;
    try {
      await this.host.remove(name);
      this.pendingRemovals.delete(name);
      this.logger.info('plugin removed: its Plugin object was deleted', { plugin: name });
    } catch (err) {
      this.pendingRemovals.add(name);
      this.logger.error('cannot remove plugin whose Plugin object was deleted; will retry', { plugin: name, error: msgOf(err) });
      return;
    }
    for (const other of [...this.pendingRemovals]) {
      if (this.tracked.has(other)) {
        this.pendingRemovals.delete(other);
        continue;
      }
      await this.deleted(other);
    }
  }

  /** The descriptor a Plugin spec names, checked against its type and version. */
  private resolve(name: string, spec: Partial<PluginObjectSpec>): Promise<PluginDescriptor> {
    const { builtins, artifacts, artifactLoaders } = this.opts;
    return resolvePluginSource(spec, { builtins, baseDir: this.baseDir, loadFile: this.loadFile, artifacts, artifactLoaders, name });
  }

  // --- status --------------------------------------------------------------------------------

  private onHostState(e: PluginStateEvent): void {
    if (e.state === 'Starting' || !this.tracked.has(e.name)) return;
    this.scheduleStatus(e.name);
  }

  private onRuntime(e: PluginRuntimeReport): void {
    if (this.stopped || !this.tracked.has(e.name)) return;
    this.runtime.report(e.name, e.stats);
  }

  private onEvent(e: PluginEventRecord): void {
    const t = this.tracked.get(e.name);
    if (this.stopped || !t) return; // not a Plugin object's plugin: the host's listeners only
    this.events.record({ name: e.name, uid: t.uid }, e.event);
  }

  /** The status of `name` as the host and the last attempt say. */
  statusOf(name: string, spec: Partial<PluginObjectSpec> = {}): PluginObjectStatus {
    return computeStatus(this.tracked.get(name), this.host.list().find((p) => p.name === name), spec, this.runtime.published(name));
  }

  /** Write `name`'s status soon (coalesced; one writer per name). */
  private scheduleStatus(name: string, seen?: KObject): void {
    this.status.schedule(name, seen);
  }
}
