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
//   {state, phase, version, observedGeneration, reloads, startedAt, message?, error?}.
//
// A plugin that fails to load or reload is reported in its status; it never stops the controller.
// A failed load is retried after another plugin loads (it may have been waiting for a `requires`);
// a refused remove (other plugins still require its type) is retried after another remove.

import path from 'node:path';
import type { Kernel, KObject, ResourceRef, Watch, WatchEvent } from '../types.ts';
import type { PluginDescriptor } from './descriptor.ts';
import type { BuiltinRegistry, Distribution, DistributionPluginSource } from './distribution.ts';
import type { PluginHost } from './host.ts';
import type { LoadRequest, PluginInfo, PluginStateEvent } from './host-types.ts';
import { loadPluginFile } from './loader.ts';
import { createConsoleLogger, type Logger } from './tokens.ts';

export const PluginsResource: ResourceRef = { group: 'plugins.skiff.io', version: 'v1alpha1', resource: 'plugins' };
export const PluginObjectAPIVersion = 'plugins.skiff.io/v1alpha1';
/** On objects the controller created: the spec it wrote (stable JSON), to tell user edits apart. */
export const DistributionSpecAnnotation = 'plugins.skiff.io/distribution-spec';

export interface PluginObjectSource extends DistributionPluginSource {
  /** a plugin artifact in the JetStream object store (not supported yet) */
  artifact?: string;
}

export interface PluginObjectSpec {
  type: string;
  version?: string;
  source: PluginObjectSource;
  config?: Record<string, unknown>;
  /** the node the plugin runs on; unset = the control plane */
  node?: string;
  failurePolicy?: 'Fail' | 'Ignore';
}

export type PluginObjectState = 'Running' | 'Failed' | 'Draining' | 'Stopped';

export interface PluginObjectStatus {
  state: PluginObjectState;
  /** same as state (the kind's selectable field is `status.phase`) */
  phase: PluginObjectState;
  /** the version running (or, when nothing runs, the version wanted) */
  version?: string;
  /** the generation last acted on (applied, or tried and failed) */
  observedGeneration?: number;
  reloads: number;
  startedAt?: string;
  message?: string;
  error?: string;
}

export interface PluginObjectControllerOptions {
  kernel: Kernel;
  host: PluginHost;
  /** plugins compiled into the binary, for `source.builtin` */
  builtins: BuiltinRegistry;
  logger?: Logger;
  /** base for relative `source.path`s (the distribution file's directory; default cwd) */
  baseDir?: string;
  /** the Distribution the host was loaded from: the source of each running plugin */
  distribution?: Distribution;
  /** the requests given to host.load: the config each plugin runs with (after any overrides) */
  requests?: ReadonlyArray<LoadRequest>;
  /** how `source.path` plugins are loaded (default loadPluginFile) */
  loadFile?: (file: string) => Promise<PluginDescriptor>;
  /** only objects whose spec.node equals this are handled (default: those without spec.node) */
  node?: string;
}

interface Tracked {
  uid?: string;
  /** the generation last acted on */
  attempted?: number;
  /** stable key of the spec the host runs for this name (undefined: unknown / nothing) */
  specKey?: string;
  /** the error of the last attempt (load/reload/resolve), cleared by a success */
  error?: string;
  message?: string;
  /** the last load failed; retried after another plugin loads */
  loadFailed?: boolean;
}

const msgOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const codeOf = (err: unknown): number | undefined => (err as { code?: number } | null)?.code;
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** JSON with sorted object keys (undefined members dropped). */
export function stableJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : stableJSON(x))).join(',')}]`;
  if (isObj(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJSON(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The part of a Plugin spec that decides what runs: type, version, source and config. */
function specKey(spec: Partial<PluginObjectSpec>): string {
  const src = isObj(spec.source) ? spec.source : {};
  return stableJSON({
    type: spec.type,
    version: spec.version || undefined,
    source: { builtin: src.builtin || undefined, path: src.path || undefined, artifact: src.artifact || undefined },
    config: isObj(spec.config) ? spec.config : {},
  });
}

function specOf(obj: KObject): Partial<PluginObjectSpec> {
  return isObj(obj.spec) ? (obj.spec as Partial<PluginObjectSpec>) : {};
}

export class PluginObjectController {
  private readonly kernel: Kernel;
  private readonly host: PluginHost;
  private readonly logger: Logger;
  private readonly baseDir: string;
  private readonly loadFile: (file: string) => Promise<PluginDescriptor>;
  private readonly tracked = new Map<string, Tracked>();
  /** names whose object is gone but whose remove the host refused */
  private readonly pendingRemovals = new Set<string>();
  private readonly writers = new Map<string, { dirty: boolean; done: Promise<void> }>();
  private unsubscribe?: () => void;
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
  }

  /** Create/adopt objects for running plugins, apply every Plugin object, then keep watching. */
  async start(): Promise<void> {
    if (this.started) throw new Error('PluginObjectController already started');
    this.started = true;
    this.unsubscribe = this.host.on('state', (e) => this.onHostState(e));
    await this.adoptRunning();
    const rv = await this.relist();
    this.loop = this.run(rv);
  }

  /** Stop watching (plugins keep running: the host owns them). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    this.watch?.stop();
    await this.loop?.catch(() => undefined);
    await Promise.all([...this.writers.values()].map((w) => w.done));
  }

  // --- adoption ------------------------------------------------------------------------------

  private async adoptRunning(): Promise<void> {
    for (const info of this.host.list()) {
      if (info.state === 'Failed') continue; // not running
      try {
        await this.adopt(info);
      } catch (err) {
        this.logger.warn('cannot create the Plugin object of a running plugin', { plugin: info.name, error: msgOf(err) });
      }
    }
  }

  /** The spec describing what the host runs under `info.name`, if its source is known. */
  private specFromHost(info: PluginInfo): PluginObjectSpec | undefined {
    const entry = this.opts.distribution?.spec.plugins.find((p) => p.name === info.name);
    const req = this.opts.requests?.find((r) => (r.name ?? r.descriptor.name) === info.name);
    let source: PluginObjectSource | undefined;
    if (entry) source = entry.source.builtin !== undefined ? { builtin: entry.source.builtin } : { path: entry.source.path! };
    else if (req) {
      const key = Object.keys(this.opts.builtins).find((k) => this.opts.builtins[k] === req.descriptor);
      if (key !== undefined) source = { builtin: key };
    }
    if (!source) {
      const b = Object.hasOwn(this.opts.builtins, info.name) ? this.opts.builtins[info.name] : undefined;
      if (b && b.type === info.type && b.version === info.version) source = { builtin: info.name };
    }
    if (!source) return undefined;
    const cfg = req ? req.config : entry?.config;
    return { type: info.type, version: info.version, source, config: isObj(cfg) ? structuredClone(cfg) : {} };
  }

  private async adopt(info: PluginInfo): Promise<void> {
    const name = info.name;
    if (this.opts.node !== undefined) return; // a node's controller: the distribution is the control plane's
    const desired = this.specFromHost(info);
    if (!desired) {
      this.logger.warn('running plugin has no known source; no Plugin object created', { plugin: name });
      return;
    }
    const key = specKey(desired);
    const fresh: KObject = {
      apiVersion: PluginObjectAPIVersion,
      kind: 'Plugin',
      metadata: { name, annotations: { [DistributionSpecAnnotation]: key } },
      spec: desired as unknown as Record<string, unknown>,
    };
    let obj: KObject;
    try {
      obj = await this.kernel.create(PluginsResource, fresh);
      this.tracked.set(name, { uid: obj.metadata.uid, attempted: obj.metadata.generation ?? 1, specKey: key });
      this.logger.info('created Plugin object for running plugin', { plugin: name });
    } catch (err) {
      if (codeOf(err) !== 409) throw err;
      obj = await this.kernel.get(PluginsResource, undefined, name);
      const cur = specKey(specOf(obj));
      const last = obj.metadata.annotations?.[DistributionSpecAnnotation];
      if (cur === key) {
        this.tracked.set(name, { uid: obj.metadata.uid, attempted: obj.metadata.generation ?? 1, specKey: key });
      } else if (last !== undefined && cur === last && !obj.metadata.deletionTimestamp) {
        // nobody changed the object since we wrote it; the distribution changed: follow it
        const spec = { ...specOf(obj), ...desired };
        const annotations = { ...obj.metadata.annotations, [DistributionSpecAnnotation]: key };
        try {
          obj = await this.kernel.update(PluginsResource, { ...obj, metadata: { ...obj.metadata, annotations }, spec });
          this.tracked.set(name, { uid: obj.metadata.uid, attempted: obj.metadata.generation ?? 1, specKey: key });
          this.logger.info('updated Plugin object to the distribution', { plugin: name });
        } catch (e) {
          if (codeOf(e) !== 409) throw e;
          this.tracked.set(name, { uid: obj.metadata.uid, specKey: key }); // changed meanwhile: reconcile
        }
      } else {
        // the object says something else: it wins (reconcile will reload to it)
        this.tracked.set(name, { uid: obj.metadata.uid, specKey: key });
        this.logger.info('adopting Plugin object whose spec differs from the distribution; the object wins', { plugin: name });
      }
    }
    this.scheduleStatus(name);
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
      const descriptor = await this.resolve(spec);
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
      const descriptor = await this.resolve(spec);
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
  private async resolve(spec: Partial<PluginObjectSpec>): Promise<PluginDescriptor> {
    const src: PluginObjectSource = isObj(spec.source) ? spec.source : {};
    let d: PluginDescriptor;
    if (src.artifact) {
      throw new Error(
        `spec.source.artifact "${src.artifact}": loading plugins from the JetStream object store is not supported yet; use spec.source.builtin or spec.source.path`,
      );
    } else if (src.builtin) {
      const b = Object.hasOwn(this.opts.builtins, src.builtin) ? this.opts.builtins[src.builtin] : undefined;
      if (!b) {
        const known = Object.keys(this.opts.builtins).sort().join(', ') || 'none';
        throw new Error(`unknown builtin "${src.builtin}" (known: ${known})`);
      }
      d = b;
    } else if (src.path) {
      const file = path.resolve(this.baseDir, src.path);
      d = await this.loadFile(file).catch((err: unknown) => {
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

  // --- status --------------------------------------------------------------------------------

  private onHostState(e: PluginStateEvent): void {
    if (e.state === 'Starting' || !this.tracked.has(e.name)) return;
    this.scheduleStatus(e.name);
  }

  /** The status of `name` as the host and the last attempt say. */
  statusOf(name: string, spec: Partial<PluginObjectSpec> = {}): PluginObjectStatus {
    const t = this.tracked.get(name);
    const info = this.host.list().find((p) => p.name === name);
    const running = info && info.state !== 'Failed' ? info : undefined;
    const error = t?.error ?? info?.error;
    let state: PluginObjectState;
    let message = t?.message;
    if (running) {
      state = running.draining ? 'Draining' : running.state === 'Stopped' ? 'Stopped' : 'Running';
      if (running.draining) message ??= `version ${running.version} serving; draining version ${running.draining.version}`;
    } else {
      state = error ? 'Failed' : 'Stopped';
    }
    const s: PluginObjectStatus = {
      state,
      phase: state,
      version: running?.version ?? (spec.version || info?.version),
      observedGeneration: t?.attempted,
      reloads: running?.reloads ?? 0,
      startedAt: running?.startedAt?.toISOString(),
      message,
      error,
    };
    for (const k of Object.keys(s) as (keyof PluginObjectStatus)[]) if (s[k] === undefined) delete s[k];
    return s;
  }

  /** Write `name`'s status soon (coalesced; one writer per name). */
  private scheduleStatus(name: string, seen?: KObject): void {
    if (this.stopped) return;
    const busy = this.writers.get(name);
    if (busy) {
      busy.dirty = true;
      return;
    }
    if (seen && stableJSON(seen.status ?? null) === stableJSON(this.statusOf(name, specOf(seen)))) return;
    const w = { dirty: true, done: Promise.resolve() };
    this.writers.set(name, w);
    w.done = (async () => {
      try {
        while (w.dirty && !this.stopped) {
          w.dirty = false;
          await this.writeStatus(name).catch((err) => {
            this.logger.warn('cannot write Plugin status', { plugin: name, error: msgOf(err) });
          });
        }
      } finally {
        this.writers.delete(name);
      }
    })();
  }

  private async writeStatus(name: string): Promise<void> {
    for (let attempt = 0; attempt < 10 && !this.stopped; attempt++) {
      if (!this.tracked.has(name)) return;
      let obj: KObject;
      try {
        obj = await this.kernel.get(PluginsResource, undefined, name);
      } catch (err) {
        if (codeOf(err) === 404) return;
        throw err;
      }
      const status = this.statusOf(name, specOf(obj));
      if (stableJSON(obj.status ?? null) === stableJSON(status)) return;
      try {
        await this.kernel.update(PluginsResource, { ...obj, status: status as unknown as Record<string, unknown> }, { subresource: 'status' });
        return;
      } catch (err) {
        if (codeOf(err) === 404) return;
        if (codeOf(err) !== 409) throw err;
      }
    }
  }
}
