// Read-your-writes for a controller's own object: the copy it last wrote (its status, say), used
// instead of the informer's while the informer has not caught up, so the next reconcile does not
// decide from, and write back, an older copy (a 409 at best, counts taken twice at worst). The
// informer's copy wins as soon as it is as new; another object of the name (uid) never takes the
// written copy. WriteTracker is the other way: wait for the informer instead of working around it.
import type { KObject } from '@skiff/kernel';

export class LastWritten<T extends KObject> {
  private readonly byKey = new Map<string, T>();

  /**
   * The copy to work from for `key`: what was last written when it is newer than `listed` (the
   * informer's copy, of the same uid), else `listed`. Undefined when the object is gone.
   */
  current(key: string, listed: T | undefined): T | undefined {
    const mine = this.byKey.get(key);
    if (!listed) {
      this.byKey.delete(key);
      return undefined;
    }
    if (mine && mine.metadata.uid === listed.metadata.uid && Number(mine.metadata.resourceVersion) > Number(listed.metadata.resourceVersion)) return mine;
    if (mine) this.byKey.delete(key);
    return listed;
  }

  /** `obj` as a write returned it (kept as a copy: callers may change theirs). */
  wrote(key: string, obj: T): void {
    this.byKey.set(key, structuredClone(obj));
  }

  /** Use the informer's copy again (a write failed: a conflict means the copy written is stale). */
  forget(key: string): void {
    this.byKey.delete(key);
  }

  get size(): number {
    return this.byKey.size;
  }
}
