// The watch cache: every object of every kind in memory, filled by ONE JetStream watch over the
// whole bucket (so the cache has a single global revision, like etcd's), plus a ring of recent
// events per resource for exact watch resumption. Below a resource's compaction floor (what the ring
// no longer holds, or anything before this cache started) list/watch answer 410 Gone, as
// kube-apiserver does; JetStream itself would silently skip ahead.
import type { KObject, WatchEvent } from '../types.ts';
import { errors } from '../status.ts';
import type { KvBackend } from './kv-backend.ts';
import type { ObjectCodec } from './codec.ts';
import { decodeKey } from './keys.ts';
import { WatchQueue } from './watch-queue.ts';
import type { Matcher } from './selectors.ts';

export interface CachedEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
  /** the object before this event (MODIFIED, DELETED) */
  prev?: KObject;
  revision: number;
}

export interface WatchFilter {
  namespace?: string;
  matcher?: Matcher;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

function visible(obj: KObject, f: WatchFilter): boolean {
  if (f.namespace !== undefined && obj.metadata.namespace !== f.namespace) return false;
  return f.matcher ? f.matcher(obj) : true;
}

class ResourceCache {
  readonly objects = new Map<string, KObject>();
  private ring: CachedEvent[] = [];
  private head = 0; // index of the oldest event once the ring is full
  readonly watchers = new Set<CacheWatcher>();
  constructor(
    public floor: number,
    private readonly capacity: number,
  ) {}

  record(ev: CachedEvent): void {
    if (this.ring.length < this.capacity) this.ring.push(ev);
    else {
      this.floor = this.ring[this.head]!.revision;
      this.ring[this.head] = ev;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  /** Events with revision > rev, oldest first. */
  since(rev: number): CachedEvent[] {
    const ordered = this.head === 0 ? this.ring : [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
    let lo = 0;
    let hi = ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ordered[mid]!.revision <= rev) lo = mid + 1;
      else hi = mid;
    }
    return ordered.slice(lo);
  }
}

export class CacheWatcher {
  readonly queue: WatchQueue<WatchEvent>;
  constructor(
    readonly filter: WatchFilter,
    maxQueue: number,
    private readonly onStop: (w: CacheWatcher) => void,
  ) {
    this.queue = new WatchQueue<WatchEvent>(maxQueue, () => this.onStop(this));
  }

  deliver(ev: CachedEvent): void {
    const now = visible(ev.object, this.filter);
    const before = ev.prev !== undefined && visible(ev.prev, this.filter);
    if (ev.type === 'ADDED') {
      if (now) this.queue.push({ type: 'ADDED', object: ev.object });
    } else if (ev.type === 'DELETED') {
      if (before || now) this.queue.push({ type: 'DELETED', object: ev.object });
    } else if (now && before) this.queue.push({ type: 'MODIFIED', object: ev.object });
    else if (now) this.queue.push({ type: 'ADDED', object: ev.object });
    else if (before) this.queue.push({ type: 'DELETED', object: ev.object });
  }
}

export interface WatchCacheOptions {
  /** events kept per resource for watch resumption */
  eventsPerResource?: number;
  /** events a slow watcher may have queued before it is cut off */
  maxWatcherQueue?: number;
}

export class WatchCache {
  /** the last revision this cache has applied */
  revision = 0;
  /** the revision the cache started at: nothing before it can be replayed */
  startRevision = 0;
  private readonly resources = new Map<string, ResourceCache>();
  private waiters: { rev: number; resolve: () => void }[] = [];
  private stopFeed?: () => void;
  private readonly capacity: number;
  private readonly maxQueue: number;

  constructor(
    private readonly backend: KvBackend,
    private readonly codec: ObjectCodec,
    opts: WatchCacheOptions = {},
  ) {
    this.capacity = opts.eventsPerResource ?? 10_000;
    this.maxQueue = opts.maxWatcherQueue ?? 100_000;
  }

  private feedGeneration = 0;
  private offUp?: () => void;
  private restarting?: Promise<void>;
  /** times the feed was resumed after an outage, and times the cache had to start over */
  feedRestarts = 0;
  reloads = 0;

  /** Load the current state and follow changes; resolves once the cache holds the state of the store at start. */
  async start(): Promise<void> {
    this.startRevision = await this.backend.lastRevision();
    const synced = this.waitFor(this.startRevision);
    await this.openFeed(undefined, this.startRevision);
    // after an outage the feed is resumed right after what the cache holds
    this.offUp = this.backend.health.onUp(() => void this.resumeFeed());
    await synced;
  }

  /**
   * One JetStream watch feeding the cache. `from` undefined: every key's latest entry first (those
   * at or below `initial` make no events). Otherwise every entry from revision `from` on.
   */
  private async openFeed(from: number | undefined, initial: number): Promise<void> {
    const gen = ++this.feedGeneration;
    const iter = await this.backend.watchAll(from);
    this.stopFeed?.();
    this.stopFeed = () => iter.stop();
    void (async () => {
      for await (const e of iter) {
        if (gen !== this.feedGeneration) break; // a newer feed took over
        // applied already (a resumed feed overlapping, or a consumer moved back by a purge)
        if ((from !== undefined || e.revision > initial) && e.revision <= this.revision) continue;
        try {
          this.apply(e.key, e.value, e.revision, e.operation !== 'PUT', e.revision <= initial, e.created?.getTime());
        } catch (err) {
          // a value that cannot be decoded (wrong encryption key, corrupt JSON) must not stop the feed
          console.error(`watch cache: skipping ${e.key}@${e.revision}: ${(err as Error).message}`);
          this.advance(e.revision);
        }
      }
    })();
  }

  /**
   * The store is back: follow it again from the revision after the last one applied, so every
   * watcher goes on exactly where it was. If the store is now behind the cache (it lost writes the
   * cache had seen), start over instead: every watcher ends with 410 Gone and re-lists.
   */
  resumeFeed(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.restarting ??= (async () => {
      try {
        const last = await this.backend.lastRevision();
        if (last < this.revision) await this.reload(last);
        else {
          await this.openFeed(this.revision + 1, 0);
          this.feedRestarts++;
        }
      } catch {
        // not ready yet (JetStream recovering): try again shortly while the store is up
        setTimeout(() => {
          if (this.backend.health.isUp) void this.resumeFeed();
        }, 250).unref();
      } finally {
        this.restarting = undefined;
      }
    })();
    return this.restarting;
  }

  private async reload(last: number): Promise<void> {
    console.error(`watch cache: the store is at revision ${last}, behind the cache (${this.revision}); reloading, watchers get 410`);
    this.reloads++;
    this.stopFeed?.();
    for (const rc of this.resources.values()) {
      for (const w of rc.watchers) {
        w.queue.push({ type: 'ERROR', object: errors.gone(`the store was restored to an earlier revision (${last})`).status as unknown as KObject });
        w.queue.end();
      }
    }
    this.resources.clear();
    this.revision = 0;
    this.startRevision = last;
    const synced = this.waitFor(last);
    await this.openFeed(undefined, last);
    await synced;
  }

  private stopped = false;

  stop(): void {
    this.stopped = true;
    this.offUp?.();
    this.feedGeneration++;
    this.stopFeed?.();
    for (const rc of this.resources.values()) for (const w of rc.watchers) w.queue.end();
  }

  private resource(prefix: string): ResourceCache {
    let rc = this.resources.get(prefix);
    if (!rc) {
      rc = new ResourceCache(this.startRevision, this.capacity);
      this.resources.set(prefix, rc);
    }
    return rc;
  }

  /** keys whose latest entry in the store is a delete marker: its revision and when it was written */
  private readonly tombstones = new Map<string, { revision: number; at: number }>();

  /** Delete markers written before `before` (ms since the epoch), oldest first, at most `max`. */
  deleteMarkers(before: number, max = 10_000): { key: string; revision: number }[] {
    const out: { key: string; revision: number }[] = [];
    for (const [key, t] of this.tombstones) {
      if (t.at < before) out.push({ key, revision: t.revision });
      if (out.length >= max) break;
    }
    return out;
  }

  /** The markers are gone from the store (a marker replaced by a newer one stays). */
  forgetDeleteMarkers(markers: { key: string; revision: number }[]): void {
    for (const m of markers) if (this.tombstones.get(m.key)?.revision === m.revision) this.tombstones.delete(m.key);
  }

  private apply(key: string, value: Uint8Array, rev: number, deleted: boolean, initial: boolean, at = Date.now()): void {
    if (deleted) this.tombstones.set(key, { revision: rev, at });
    else this.tombstones.delete(key);
    const dk = decodeKey(key);
    if (dk) {
      const rc = this.resource(dk.prefix);
      const prev = rc.objects.get(key);
      let ev: CachedEvent | undefined;
      if (deleted) {
        rc.objects.delete(key);
        if (prev && !initial) {
          // the delete marker carries the final state; fall back to the last known one
          const obj = value.length > 0 ? this.codec.decode(value, rev) : { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rev) } };
          ev = { type: 'DELETED', object: deepFreeze(obj), prev, revision: rev };
        }
      } else {
        const obj = deepFreeze(this.codec.decode(value, rev));
        rc.objects.set(key, obj);
        if (!initial) ev = { type: prev ? 'MODIFIED' : 'ADDED', object: obj, prev, revision: rev };
      }
      if (ev) {
        rc.record(ev);
        for (const w of rc.watchers) {
          try {
            w.deliver(ev);
          } catch (err) {
            // one watcher's failure is its own: it ends, the others get the event
            console.error(`watch cache: a watcher failed on ${key}@${rev} and is closed: ${(err as Error).message}`);
            w.queue.end();
          }
        }
      }
    }
    this.advance(rev);
  }

  private advance(rev: number): void {
    if (rev > this.revision) this.revision = rev;
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.rev <= this.revision);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.rev > this.revision);
    for (const w of ready) w.resolve();
  }

  /** Resolves when the cache has applied revision `rev`. */
  waitFor(rev: number, timeoutMs = 10_000): Promise<void> {
    if (rev <= this.revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(errors.timeout(`timed out waiting for the watch cache to reach revision ${rev} (at ${this.revision})`));
      }, timeoutMs);
      const waiter = {
        rev,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Wait until the cache holds everything written to the store so far (a consistent read). A feed
   * that does not catch up in time is resumed (it may have stalled without the connection dropping).
   */
  async sync(timeoutMs = 10_000): Promise<number> {
    const rev = await this.backend.lastRevision();
    try {
      await this.waitFor(rev, timeoutMs);
    } catch (e) {
      void this.resumeFeed();
      throw e;
    }
    return this.revision;
  }

  get(prefix: string, key: string): KObject | undefined {
    return this.resources.get(prefix)?.objects.get(key);
  }

  list(prefix: string, filter: WatchFilter): KObject[] {
    const rc = this.resources.get(prefix);
    if (!rc) return [];
    const out: KObject[] = [];
    for (const o of rc.objects.values()) if (visible(o, filter)) out.push(o);
    return out;
  }

  /**
   * What `list` answered at revision `rev` (at most the cache's own): the objects now, rolled back
   * through the resource's event ring (each event keeps the object before it). 410 Gone when the
   * ring no longer reaches back to `rev` (or `rev` is before this cache started).
   */
  listAt(prefix: string, filter: WatchFilter, rev: number): KObject[] {
    if (rev >= this.revision) return this.list(prefix, filter);
    const floor = this.floor(prefix);
    if (rev < floor) throw errors.gone(`The resourceVersion for the provided list is too old: ${rev} (the oldest held is ${floor})`);
    const rc = this.resources.get(prefix);
    if (!rc) return [];
    const id = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const at = new Map<string, KObject>();
    for (const o of rc.objects.values()) at.set(id(o), o);
    const after = rc.since(rev);
    for (let i = after.length - 1; i >= 0; i--) {
      const ev = after[i]!;
      if (ev.prev) at.set(id(ev.prev), ev.prev);
      else at.delete(id(ev.object));
    }
    const out: KObject[] = [];
    for (const o of at.values()) if (visible(o, filter)) out.push(o);
    return out;
  }

  floor(prefix: string): number {
    return this.resources.get(prefix)?.floor ?? this.startRevision;
  }

  /**
   * Watch a resource. fromRevision undefined: current state as ADDED first, then changes.
   * Otherwise exactly the changes after fromRevision; 410 Gone (as an ERROR event) if those are no
   * longer held.
   */
  watch(prefix: string, filter: WatchFilter, fromRevision: number | undefined, opts: { bookmarks?: boolean; initialEventsEnd?: boolean; bookmarkKind?: { apiVersion: string; kind: string }; bookmarkIntervalMs?: number } = {}): WatchQueue<WatchEvent> {
    const rc = this.resource(prefix);
    let timer: NodeJS.Timeout | undefined;
    const w = new CacheWatcher(filter, this.maxQueue, (x) => {
      rc.watchers.delete(x);
      if (timer) clearInterval(timer);
    });
    const bookmark = (annotations?: Record<string, string>): WatchEvent => ({
      type: 'BOOKMARK',
      object: {
        apiVersion: opts.bookmarkKind?.apiVersion ?? 'v1',
        kind: opts.bookmarkKind?.kind ?? 'Bookmark',
        metadata: { resourceVersion: String(this.revision), ...(annotations ? { annotations } : {}) },
      },
    });
    if (fromRevision === undefined) {
      for (const o of rc.objects.values()) if (visible(o, filter)) w.queue.push({ type: 'ADDED', object: o });
      if (opts.initialEventsEnd) w.queue.push(bookmark({ 'k8s.io/initial-events-end': 'true' }));
    } else {
      if (fromRevision < rc.floor) {
        w.queue.push({
          type: 'ERROR',
          object: errors.gone(`too old resource version: ${fromRevision} (${rc.floor})`).status as unknown as KObject,
        });
        w.queue.end();
        return w.queue;
      }
      for (const ev of rc.since(fromRevision)) w.deliver(ev);
    }
    rc.watchers.add(w);
    if (opts.bookmarks) {
      timer = setInterval(() => {
        try {
          w.queue.push(bookmark());
        } catch (err) {
          console.error(`watch cache: a watcher failed on a bookmark and is closed: ${(err as Error).message}`);
          w.queue.end();
        }
      }, opts.bookmarkIntervalMs ?? 30_000);
      timer.unref();
    }
    return w.queue;
  }
}
