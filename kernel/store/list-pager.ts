// Paged LIST (`limit` + `continue`) with Kubernetes' guarantee that all pages come from one
// consistent snapshot: the first page keeps the sorted result (an array of references to the
// cache's immutable objects, so it is cheap) for a while; later pages read from it. A token whose
// snapshot has expired answers 410 Expired, as Kubernetes does after etcd compaction.
// Snapshots are bounded in number and in the references they hold together (a client starting
// many paged lists cannot make the server hold without end, and a snapshot keeps objects the cache
// has since replaced alive): past a bound the least recently used goes, and its token is 410 too
// (client-go's pager then lists again in full).
import { randomBytes } from 'node:crypto';
import { errors } from '../status.ts';
import type { KObject } from '../types.ts';

interface Snapshot {
  items: KObject[];
  revision: number;
  expires: number;
  /** what was listed (resource, namespace, selectors): a token asked for anything else is refused */
  scope: string;
}

export interface Page {
  items: KObject[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

export interface ListPagerLimits {
  /** how long a snapshot lives after its last page (kube: until etcd compacts, 5 min by default) */
  ttlMs: number;
  /** snapshots held at once */
  maxSnapshots: number;
  /** object references held by all snapshots together (8 bytes each: 2M is 16 MB of arrays) */
  maxItems: number;
}

export const DEFAULT_PAGER_LIMITS: ListPagerLimits = { ttlMs: 120_000, maxSnapshots: 256, maxItems: 2_000_000 };

export class ListPager {
  // in least recently used order (a Map keeps insertion order: a used snapshot is re-inserted)
  private snapshots = new Map<string, Snapshot>();
  private held = 0;
  private timer: NodeJS.Timeout;
  private readonly limits: ListPagerLimits;

  constructor(limits: Partial<ListPagerLimits> = {}) {
    this.limits = { ...DEFAULT_PAGER_LIMITS, ...limits };
    this.timer = setInterval(() => this.expire(), 10_000);
    this.timer.unref();
  }

  /** Snapshots and the references they hold, for tests and metrics. */
  stats(): { snapshots: number; items: number } {
    return { snapshots: this.snapshots.size, items: this.held };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, s] of this.snapshots) if (s.expires < now) this.drop(id);
  }

  private drop(id: string): void {
    const s = this.snapshots.get(id);
    if (!s) return;
    this.snapshots.delete(id);
    this.held -= s.items.length;
  }

  first(items: KObject[], revision: number, limit?: number, scope = ''): Page {
    if (!limit || limit <= 0 || items.length <= limit) return { items, metadata: { resourceVersion: String(revision) } };
    const id = randomBytes(9).toString('base64url');
    // make room, oldest first; a list larger than the whole bound still gets its snapshot alone
    for (const old of this.snapshots.keys()) {
      if (this.snapshots.size < this.limits.maxSnapshots && this.held + items.length <= this.limits.maxItems) break;
      this.drop(old);
    }
    this.snapshots.set(id, { items, revision, expires: Date.now() + this.limits.ttlMs, scope });
    this.held += items.length;
    return this.page(id, items, revision, 0, limit);
  }

  next(token: string, scope = ''): Page {
    let parsed: { id: string; offset: number; limit: number };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
      if (typeof parsed.id !== 'string' || !Number.isInteger(parsed.offset) || !Number.isInteger(parsed.limit) || parsed.offset < 0 || parsed.limit <= 0) throw new Error();
    } catch {
      throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    }
    const snap = this.snapshots.get(parsed.id);
    if (snap && snap.scope !== scope) {
      throw errors.badRequest('continue key is not valid: it belongs to a list of another resource, namespace or selector (start a new list without continue)');
    }
    if (!snap) {
      throw errors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
    // most recently used last: eviction takes the others first
    this.snapshots.delete(parsed.id);
    this.snapshots.set(parsed.id, snap);
    snap.expires = Date.now() + this.limits.ttlMs;
    return this.page(parsed.id, snap.items, snap.revision, parsed.offset, parsed.limit);
  }

  private page(id: string, all: KObject[], revision: number, offset: number, limit: number): Page {
    const items = all.slice(offset, offset + limit);
    const rest = all.length - offset - items.length;
    const metadata: Page['metadata'] = { resourceVersion: String(revision) };
    if (rest > 0) {
      metadata.continue = Buffer.from(JSON.stringify({ id, offset: offset + items.length, limit })).toString('base64url');
      metadata.remainingItemCount = rest;
    } else this.drop(id);
    return { items, metadata };
  }
}
