// What the watch cache keeps per resource: its objects, a ring of recent events (each with the
// object before it) for exact resumption, and the watchers with their filters.
import type { KObject, WatchEvent } from '../types.ts';
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

export function visible(obj: KObject, f: WatchFilter): boolean {
  if (f.namespace !== undefined && obj.metadata.namespace !== f.namespace) return false;
  return f.matcher ? f.matcher(obj) : true;
}

export class ResourceCache {
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

  /** events at or below this revision are not this watcher's (it started after them) */
  after = 0;

  deliver(ev: CachedEvent): void {
    if (ev.revision <= this.after) return;
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
