// Read-your-writes for a controller that decides from informer caches, a generalization of kube's
// ControllerExpectations to updates: after writing objects (create, update, delete) on behalf of a
// key, the key is not reconciled again until the informer has delivered those writes (or a TTL
// passed); the informer's event for a write enqueues the key again. A resourceVersion precondition
// catches a stale copy of the object written, not of the others a decision reads: without this a
// Deployment's reconcile could scale a ReplicaSet from a copy older than its own last write.
// Use: wrote()/deleted() after each write, observe() from the informers' handlers of the kinds
// written, caughtUp() at the start of a reconcile, forget() when the key's object is gone.
import type { KObject } from '@skiff/kernel';

interface Pending {
  key: string;
  /** the resourceVersion the informer must reach (deletes: any event of the uid's deletion) */
  rv: number;
  gone: boolean;
  at: number;
}

export class WriteTracker {
  /** uid -> what is awaited for it */
  private readonly byUid = new Map<string, Pending>();
  /** key -> uids it waits for */
  private readonly byKey = new Map<string, Set<string>>();

  constructor(private readonly ttlMs = 30_000) {}

  /**
   * `key` wrote `obj` (as the write returned it); `cached` is the informer's copy now (its event may
   * have come before the write's answer).
   */
  wrote(key: string, obj: KObject, cached: KObject | undefined): void {
    if (cached && cached.metadata.uid === obj.metadata.uid && Number(cached.metadata.resourceVersion) >= Number(obj.metadata.resourceVersion)) return;
    this.add(key, obj, false);
  }

  /** `key` deleted `obj`; `cached` is the informer's copy now (undefined: the delete was seen). */
  deleted(key: string, obj: KObject, cached: KObject | undefined): void {
    if (!cached || cached.metadata.uid !== obj.metadata.uid) return;
    this.add(key, obj, true);
  }

  private add(key: string, obj: KObject, gone: boolean): void {
    const uid = obj.metadata.uid;
    const rv = Number(obj.metadata.resourceVersion);
    if (!uid || (!gone && !Number.isFinite(rv))) return;
    this.byUid.set(uid, { key, rv: gone ? Infinity : rv, gone, at: Date.now() });
    let s = this.byKey.get(key);
    if (!s) this.byKey.set(key, (s = new Set()));
    s.add(uid);
  }

  /** An informer event: `obj` as now stored (`deleted` for a delete event). */
  observe(obj: KObject, deleted = false): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const p = this.byUid.get(uid);
    if (!p) return;
    if (deleted || (!p.gone && Number(obj.metadata.resourceVersion) >= p.rv)) this.drop(uid, p.key);
  }

  /** Has the informer caught up with every write `key` made (expired ones count as seen)? */
  caughtUp(key: string): boolean {
    const s = this.byKey.get(key);
    if (!s) return true;
    const now = Date.now();
    for (const uid of [...s]) {
      const p = this.byUid.get(uid);
      if (!p || now - p.at > this.ttlMs) this.drop(uid, key);
    }
    return !this.byKey.has(key);
  }

  forget(key: string): void {
    for (const uid of this.byKey.get(key) ?? []) this.byUid.delete(uid);
    this.byKey.delete(key);
  }

  get size(): number {
    return this.byUid.size;
  }

  private drop(uid: string, key: string): void {
    this.byUid.delete(uid);
    const s = this.byKey.get(key);
    s?.delete(uid);
    if (s && s.size === 0) this.byKey.delete(key);
  }
}
