// The kernel: the one `Kernel` implementation, over the JetStream store and its watch cache. Reads
// come from the cache (after a consistent-read wait), writes go through admission and then a
// compare-and-set on the KV revision, so a stale write is a 409 and nothing partial is ever stored.
import type { NatsConnection } from '@nats-io/nats-core';
import type { Tracer } from '@opentelemetry/api';
import { AdmissionChain } from './admission/chain.ts';
import { CrdServing } from './crd-serving.ts';
import { ObjectLifecycle } from './object-lifecycle.ts';
import type { KindDefinition } from './schema/kind-definition.ts';
import { KindRegistry, toKindInfo } from './schema/registry.ts';
import { builtinKinds } from './schema/builtin/mod.ts';
import { validateObject } from './schema/validate-object.ts';
import { checkObjectAddress, shorten } from './schema/object-address.ts';
import { INT64_MAX } from './schema/limits.ts';
import { errors } from './status.ts';
import { ObjectCodec } from './store/codec.ts';
import { KvBackend } from './store/kv-backend.ts';
import { objectKey, resourcePrefix } from './store/keys.ts';
import { ListPager } from './store/list-pager.ts';
import { buildMatcher } from './store/selectors.ts';
import { WatchCache, type WatchFilter } from './store/watch-cache.ts';
import { asStatus } from './store/store-errors.ts';
import { DeferredWatch } from './store/deferred-watch.ts';
import { notServed, servedGet, servedList } from './served.ts';
import { inSpan, tracer as defaultTracer } from './telemetry/tracing.ts';
import type {
  AdmissionHandler,
  DeleteOptions,
  Disposable,
  Kernel,
  KindInfo,
  KList,
  KObject,
  ListOptions,
  PatchType,
  ResourceRef,
  Watch,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types.ts';

export interface KernelOptions {
  nc: NatsConnection;
  bucket?: string;
  replicas?: number;
  /** 32-byte key for kinds stored encrypted at rest (Secrets) */
  secretKey?: Buffer;
  /** events kept per resource for watch resumption (the compaction floor follows from it) */
  eventsPerResource?: number;
  /** extra kinds besides the built-in ones */
  kinds?: KindDefinition[];
  tracer?: Tracer;
  bookmarkIntervalMs?: number;
}

export class SkiffKernel implements Kernel {
  readonly registry: KindRegistry;
  readonly admission = new AdmissionChain();
  private readonly lifecycle: ObjectLifecycle;
  private readonly pager = new ListPager();
  private readonly tracer: Tracer;

  private constructor(
    readonly backend: KvBackend,
    readonly cache: WatchCache,
    private readonly opts: KernelOptions,
  ) {
    this.registry = new KindRegistry([...builtinKinds(), ...(opts.kinds ?? [])]);
    this.tracer = opts.tracer ?? defaultTracer('skiff-kernel');
    this.lifecycle = new ObjectLifecycle(backend, cache, new ObjectCodec(opts.secretKey), this, this.admission);
  }

  private janitor?: NodeJS.Timeout;
  /** the CRDs' kinds, kept registered from the CRD objects */
  crds?: CrdServing;

  static async start(opts: KernelOptions): Promise<SkiffKernel> {
    const backend = await KvBackend.open(opts.nc, { bucket: opts.bucket, replicas: opts.replicas });
    const cache = new WatchCache(backend, new ObjectCodec(opts.secretKey), { eventsPerResource: opts.eventsPerResource });
    await cache.start();
    const k = new SkiffKernel(backend, cache, opts);
    // delete markers older than an hour go; watches that old answer 410 anyway
    k.janitor = setInterval(() => void k.purgeDeleteMarkers(3_600_000).catch(() => {}), 600_000);
    k.janitor.unref();
    k.crds = new CrdServing(k);
    await k.crds.start();
    return k;
  }

  /**
   * Remove delete markers older than `olderThanMs` from the store, as the watch cache knows them
   * (no scan of the stream). Returns how many messages went.
   */
  async purgeDeleteMarkers(olderThanMs: number): Promise<number> {
    let purged = 0;
    for (;;) {
      const markers = this.cache.deleteMarkers(Date.now() - olderThanMs, 1000);
      if (markers.length === 0) return purged;
      try {
        purged += await this.backend.purgeDeleteMarkers(markers);
      } finally {
        // nats-server moves consumers on a purge (the cache's feed stalled after one): the feed
        // starts again right after the last revision the cache applied
        await this.cache.resumeFeed();
      }
      this.cache.forgetDeleteMarkers(markers);
    }
  }

  /**
   * The checks behind /readyz: the store answers, and the watch cache holds everything the store
   * has (a consistent read within `timeoutMs`). Each failed check says why.
   */
  async readiness(timeoutMs = 1000): Promise<ReadinessCheck[]> {
    const h = this.backend.health.snapshot();
    const store: ReadinessCheck = h.up ? { name: 'store', ok: true } : { name: 'store', ok: false, message: `${h.reason ?? 'unavailable'} (for ${Math.round(h.sinceMs / 100) / 10} s)` };
    if (!h.up) return [store, { name: 'watch-cache', ok: false, message: 'the store is unavailable' }];
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the store did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([this.cache.sync(timeoutMs), late]);
      return [store, { name: 'watch-cache', ok: true }];
    } catch (e) {
      return [store, { name: 'watch-cache', ok: false, message: (e as Error).message }];
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    if (this.janitor) clearInterval(this.janitor);
    this.crds?.stop();
    this.cache.stop();
    this.pager.stop();
    this.backend.close();
  }

  private kindsCache?: KindInfo[];
  private readonly infoCache = new WeakMap<KindDefinition, KindInfo>();

  kinds(): KindInfo[] {
    return (this.kindsCache ??= this.registry.definitions().map((d) => this.info(d)));
  }

  kindFor(ref: ResourceRef): KindInfo {
    return this.info(this.def(ref));
  }

  /** The KindInfo of a definition (computed once). */
  info(def: KindDefinition): KindInfo {
    let i = this.infoCache.get(def);
    if (!i) this.infoCache.set(def, (i = toKindInfo(def)));
    return i;
  }

  /** Lookup for the object lifecycle. */
  byResource(group: string, version: string, resource: string): KindDefinition | undefined {
    return this.registry.get({ group, version, resource });
  }

  validate(def: KindDefinition, obj: KObject, old?: KObject) {
    return validateObject(def, obj, old);
  }

  async kindSchema(ref: ResourceRef): Promise<Record<string, unknown> | undefined> {
    return this.registry.get(ref)?.schema;
  }

  registerKind(def: KindDefinition): Disposable {
    const unregister = this.registry.register(def);
    this.kindsCache = undefined;
    return {
      dispose: () => {
        unregister();
        this.kindsCache = undefined;
      },
    };
  }

  registerAdmission(handler: AdmissionHandler): Disposable {
    return this.admission.register(handler);
  }

  private def(ref: ResourceRef): KindDefinition {
    const d = this.registry.get(ref);
    if (!d) {
      const gv = ref.group ? `${ref.group}/${ref.version}` : ref.version;
      throw errors.noSuchResource(`the server could not find the requested resource (${ref.resource} in ${gv})`);
    }
    return d;
  }

  private span<T>(op: string, ref: ResourceRef, fn: () => Promise<T>): Promise<T> {
    return inSpan(this.tracer, `store.${op}`, () => ({ 'skiff.group': ref.group, 'skiff.resource': ref.resource }), fn);
  }

  get(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KObject> {
    return this.span('get', ref, async () => {
      const def = this.def(ref);
      if (def.review) throw notServed(def, 'get');
      if (def.served) return servedGet(def, def.served, namespace, name);
      checkObjectAddress(def, namespace, name);
      const obj = await this.lifecycle.read(def, def.namespaced ? namespace : undefined, name, true);
      if (!obj) throw errors.notFound(def, name);
      return obj;
    });
  }

  list(ref: ResourceRef, opts: ListOptions = {}): Promise<KList> {
    return this.span('list', ref, async () => {
      const def = this.def(ref);
      const info = this.info(def);
      if (def.review) throw notServed(def, 'list');
      if (def.served) return servedList(def, info, def.served, opts);
      const listMeta = { apiVersion: gv(def), kind: info.listKind };
      // a continue token serves the list it came from: the same resource, namespace and selectors
      const scope = JSON.stringify([def.group, def.resource, def.namespaced ? (opts.namespace ?? '') : '', opts.labelSelector ?? '', opts.fieldSelector ?? '']);
      if (opts.continue) {
        const page = this.pager.next(opts.continue, scope);
        return { ...listMeta, metadata: page.metadata, items: page.items };
      }
      const matcher = buildMatcher(opts.labelSelector, opts.fieldSelector, def.selectableFields ?? {}, info.kind);
      const prefix = resourcePrefix(def.group, def.resource);
      const filter = { namespace: def.namespaced ? opts.namespace : undefined, matcher };
      await this.waitForList(opts.resourceVersion);
      let rev = this.cache.revision;
      let items: KObject[];
      if (opts.resourceVersionMatch === 'Exact' && opts.resourceVersion) {
        // that revision's state, not a newer one (it has been reached: waitForList)
        rev = parseRevision(opts.resourceVersion);
        items = this.cache.listAt(prefix, filter, rev);
      } else items = this.cache.list(prefix, filter);
      items.sort(byNamespaceAndName);
      if (def.storageVersion) items = items.map((o) => (o.apiVersion === listMeta.apiVersion ? o : { ...o, apiVersion: listMeta.apiVersion }));
      const page = this.pager.first(items, rev, opts.limit, scope);
      return { ...listMeta, metadata: page.metadata, items: page.items };
    });
  }

  private async waitForList(rv: string | undefined): Promise<void> {
    if (rv === '0') return;
    if (rv === undefined || rv === '') {
      await this.cache.sync();
      return;
    }
    const n = parseRevision(rv);
    try {
      await this.cache.waitFor(n, 3000);
    } catch {
      // kube-apiserver's answer to a revision the store has not reached: 504, retry after a second
      const e = errors.timeout(`Too large resource version: ${n}, current: ${this.cache.revision}`, 1);
      e.status.details!.causes = [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }];
      throw e;
    }
  }

  watch(ref: ResourceRef, opts: WatchOptions = {}): Watch {
    const def = this.def(ref);
    if (def.served || def.review) throw notServed(def, 'watch');
    const timeoutSeconds = watchTimeout(opts.timeoutSeconds);
    const info = this.info(def);
    const matcher = buildMatcher(opts.labelSelector, opts.fieldSelector, def.selectableFields ?? {}, info.kind);
    const rv = opts.resourceVersion;
    const fromRevision = rv === undefined || rv === '' || rv === '0' || opts.sendInitialEvents ? undefined : parseRevision(rv);
    const prefix = resourcePrefix(def.group, def.resource);
    const filter = { namespace: def.namespaced ? opts.namespace : undefined, matcher };
    const open = () => this.openWatch(rv, fromRevision, prefix, filter, def, opts).catch((e: unknown) => {
      throw asStatus(e, `watch ${ref.resource}`, ref);
    });
    // a kind stored in another version: events in the version asked for (conversion None)
    const served = gv(def);
    const convert = def.storageVersion
      ? (ev: WatchEvent): WatchEvent => (ev.type === 'ERROR' || ev.object.apiVersion === served ? ev : { ...ev, object: { ...ev.object, apiVersion: served } })
      : undefined;
    return new DeferredWatch(open(), timeoutSeconds, convert);
  }

  private async openWatch(rv: string | undefined, fromRevision: number | undefined, prefix: string, filter: WatchFilter, def: KindDefinition, opts: WatchOptions) {
    // "" means "most recent": make the initial state a consistent read first
    if (fromRevision === undefined && rv !== '0') await this.cache.sync();
    // (a revision the cache has not applied yet: the watcher skips the events up to it, so the write
    // that made it never comes as an event; no waiting, which a store outage would turn into an error)
    return this.cache.watch(prefix, filter, fromRevision, {
      bookmarks: opts.allowWatchBookmarks,
      initialEventsEnd: opts.sendInitialEvents === true,
      bookmarkKind: { apiVersion: gv(def), kind: def.kind },
      bookmarkIntervalMs: this.opts.bookmarkIntervalMs,
    });
  }

  create(ref: ResourceRef, obj: KObject, opts: WriteOptions = {}): Promise<KObject> {
    return this.span('create', ref, async () => {
      const def = this.writable(ref, 'create');
      // a binding names an existing pod: one no pod can be called is a 404 before its key is built
      // (a plain create's name is checked by validation, before the store)
      if (opts.subresource === 'binding') {
        const meta = obj !== null && typeof obj === 'object' ? (obj as Partial<KObject>).metadata : undefined;
        if (meta !== null && typeof meta === 'object' && typeof meta.name === 'string' && meta.name !== '') checkObjectAddress(def, meta.namespace, meta.name);
      }
      return this.lifecycle.create(def, obj, opts);
    });
  }

  update(ref: ResourceRef, obj: KObject, opts: WriteOptions = {}): Promise<KObject> {
    return this.span('update', ref, async () => {
      const def = this.writable(ref, 'update');
      const meta = obj !== null && typeof obj === 'object' ? (obj as Partial<KObject>).metadata : undefined;
      // a missing or non-string name is the lifecycle's 400; one no object can have is a 404 here
      if (meta !== null && typeof meta === 'object' && typeof meta.name === 'string' && meta.name !== '') checkObjectAddress(def, meta.namespace, meta.name);
      return this.lifecycle.update(def, obj, opts);
    });
  }

  patch(ref: ResourceRef, namespace: string | undefined, name: string, patchType: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<KObject> {
    return this.span('patch', ref, async () => {
      const def = this.writable(ref, 'patch');
      checkObjectAddress(def, namespace, name);
      return this.lifecycle.patch(def, namespace, name, patchType, patch, opts);
    });
  }

  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KObject> {
    return this.span('delete', ref, async () => {
      const def = this.writable(ref, 'delete');
      checkObjectAddress(def, namespace, name);
      checkGracePeriod(opts.gracePeriodSeconds);
      return this.lifecycle.delete(def, namespace, name, opts);
    });
  }

  /** The kind of a write: 405 for a kind served from memory, and for a review (the front ends answer those). */
  private writable(ref: ResourceRef, verb: string): KindDefinition {
    const def = this.def(ref);
    if (def.served || def.review) throw notServed(def, verb);
    return def;
  }
}

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  message?: string;
}

export function gv(def: { group: string; version: string }): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

function parseRevision(rv: string): number {
  if (typeof rv !== 'string' || !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resourceVersion "${shorten(String(rv), 40)}": must be a non-negative integer`);
  const n = Number(rv);
  // past 2^53 a revision is no longer exact, and no store gets there: not a wait, a client mistake
  if (n > Number.MAX_SAFE_INTEGER) throw errors.badRequest(`invalid resourceVersion "${shorten(rv, 40)}": larger than any revision`);
  return n;
}

/** Node's timers hold 2^31 - 1 ms (about 24.8 days); a longer timeout would fire at once. */
const MAX_TIMER_SECONDS = Math.floor(2147483647 / 1000);

/** timeoutSeconds of a watch: a non-negative integer (400 otherwise), capped at what a timer holds. */
function watchTimeout(t: unknown): number | undefined {
  if (t === undefined || t === null) return undefined;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw errors.badRequest(`invalid timeoutSeconds ${JSON.stringify(t)}: must be a non-negative integer`);
  return Math.min(t, MAX_TIMER_SECONDS);
}

function checkGracePeriod(g: unknown): void {
  if (g === undefined || g === null) return;
  if (typeof g !== 'number' || !Number.isInteger(g) || g < 0 || g > INT64_MAX) throw errors.badRequest(`invalid gracePeriodSeconds ${JSON.stringify(g)}: must be a non-negative 64-bit integer`);
}

function byNamespaceAndName(a: KObject, b: KObject): number {
  const na = a.metadata.namespace ?? '';
  const nb = b.metadata.namespace ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  const x = a.metadata.name ?? '';
  const y = b.metadata.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

export { objectKey };
