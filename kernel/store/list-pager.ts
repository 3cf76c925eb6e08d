// Paged LIST (`limit` + `continue`) with Kubernetes' guarantee that all pages come from one
// consistent snapshot: the first page keeps the sorted result (an array of references to the
// cache's immutable objects, so it is cheap) for a while; later pages read from it. A token whose
// snapshot has expired answers 410 Expired, as Kubernetes does after etcd compaction.
import { randomBytes } from 'node:crypto';
import { errors } from '../status.ts';
import type { KObject } from '../types.ts';

interface Snapshot {
  items: KObject[];
  revision: number;
  expires: number;
}

export interface Page {
  items: KObject[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

export class ListPager {
  private snapshots = new Map<string, Snapshot>();
  private timer: NodeJS.Timeout;

  constructor(private readonly ttlMs = 120_000) {
    this.timer = setInterval(() => this.expire(), 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, s] of this.snapshots) if (s.expires < now) this.snapshots.delete(id);
  }

  first(items: KObject[], revision: number, limit?: number): Page {
    if (!limit || limit <= 0 || items.length <= limit) return { items, metadata: { resourceVersion: String(revision) } };
    const id = randomBytes(9).toString('base64url');
    this.snapshots.set(id, { items, revision, expires: Date.now() + this.ttlMs });
    return this.page(id, items, revision, 0, limit);
  }

  next(token: string): Page {
    let parsed: { id: string; offset: number; limit: number };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
      if (typeof parsed.id !== 'string' || !Number.isInteger(parsed.offset) || !Number.isInteger(parsed.limit)) throw new Error();
    } catch {
      throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    }
    const snap = this.snapshots.get(parsed.id);
    if (!snap) {
      throw errors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
    return this.page(parsed.id, snap.items, snap.revision, parsed.offset, parsed.limit);
  }

  private page(id: string, all: KObject[], revision: number, offset: number, limit: number): Page {
    const items = all.slice(offset, offset + limit);
    const rest = all.length - offset - items.length;
    const metadata: Page['metadata'] = { resourceVersion: String(revision) };
    if (rest > 0) {
      metadata.continue = Buffer.from(JSON.stringify({ id, offset: offset + items.length, limit })).toString('base64url');
      metadata.remainingItemCount = rest;
    } else this.snapshots.delete(id);
    return { items, metadata };
  }
}
