// Controller expectations, as kube's controller.ControllerExpectations: a controller that has just
// created or deleted objects for a key must not act on that key again until its informer has seen
// those changes (or a TTL passes), else it would count the same pods twice and create duplicates.
// - by count (ExpectCreations): for creates whose names the API server picks (generateName);
// - by object key (UIDTrackingControllerExpectations): deletions, and creations of objects with
//   fixed names (a StatefulSet's pods): an object observed twice is counted once, and an object the
//   controller did not ask for is not counted at all.
// `expect*` replace what a key expects (SetExpectations); `raise` adds to it (RaiseExpectations), for
// controllers that issue their writes one at a time during a sync.

const DEFAULT_TTL_MS = 5 * 60_000;

interface Expectation {
  /** creations expected by count */
  add: number;
  /** deletions expected by count (the ones without a key) */
  del: number;
  at: number;
  /** keys of objects whose creation is expected */
  creating: Set<string>;
  /** keys of objects whose deletion is expected */
  deleting: Set<string>;
}

export interface Raise {
  /** a number of creations, or the keys of the objects to be created */
  creating?: number | readonly string[];
  /** the keys of the objects to be deleted */
  deleting?: readonly string[];
}

export class Expectations {
  private readonly items = new Map<string, Expectation>();

  constructor(private readonly ttlMs = DEFAULT_TTL_MS) {}

  /** True when nothing is outstanding for `key` (or what was expected is older than the TTL). */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (this.fulfilled(e) || Date.now() - e.at > this.ttlMs) return true;
    return false;
  }

  /** Expect `adds` creations and the deletion of `deleteKeys` for `key` (replaces what was expected). */
  expect(key: string, adds: number, deleteKeys: readonly string[] = []): void {
    this.items.set(key, { add: adds, del: 0, at: Date.now(), creating: new Set(), deleting: new Set(deleteKeys) });
  }

  /** Expect `n` creations, or the creation of the objects `keys` (replaces what was expected). */
  expectCreations(key: string, n: number | readonly string[]): void {
    if (typeof n === 'number') return this.expect(key, n);
    this.items.set(key, { add: 0, del: 0, at: Date.now(), creating: new Set(n), deleting: new Set() });
  }

  expectDeletions(key: string, objKeys: readonly string[]): void {
    this.expect(key, 0, objKeys);
  }

  /** Add to what `key` expects (what was met is dropped first); the TTL starts again. */
  raise(key: string, r: Raise): void {
    let e = this.items.get(key);
    if (!e || Date.now() - e.at > this.ttlMs) {
      e = { add: 0, del: 0, at: 0, creating: new Set(), deleting: new Set() };
      this.items.set(key, e);
    }
    e.at = Date.now();
    // observations beyond what was expected (objects made by someone else) must not cancel new ones
    e.add = Math.max(e.add, 0);
    e.del = Math.max(e.del, 0);
    if (typeof r.creating === 'number') e.add += r.creating;
    else for (const k of r.creating ?? []) e.creating.add(k);
    for (const k of r.deleting ?? []) e.deleting.add(k);
  }

  /**
   * A creation for `key` was seen (or a create failed and will not be seen). With `objKey`, an
   * object whose creation was expected by key is counted once; others count against the number.
   */
  creationObserved(key: string, objKey?: string): void {
    const e = this.items.get(key);
    if (!e) return;
    if (objKey !== undefined && e.creating.delete(objKey)) return;
    if (objKey !== undefined && e.creating.size > 0 && e.add <= 0) return; // not one of ours
    e.add--;
  }

  /** The deletion of `objKey` for `key` was seen (or the delete failed); counted once per object. */
  deletionObserved(key: string, objKey?: string): void {
    const e = this.items.get(key);
    if (!e) return;
    if (objKey !== undefined) {
      e.deleting.delete(objKey);
      return;
    }
    e.del--;
  }

  /** Lower the expected creations by n (creates skipped after a failure in a batch). */
  lowerCreations(key: string, n: number): void {
    const e = this.items.get(key);
    if (e) e.add -= n;
  }

  /** What `key` still waits for (for logs and tests). */
  pending(key: string): { adds: number; creating: string[]; deleting: string[]; dels: number } | undefined {
    const e = this.items.get(key);
    return e && { adds: Math.max(e.add, 0), creating: [...e.creating], deleting: [...e.deleting], dels: Math.max(e.del, 0) };
  }

  forget(key: string): void {
    this.items.delete(key);
  }

  private fulfilled(e: Expectation): boolean {
    return e.add <= 0 && e.del <= 0 && e.creating.size === 0 && e.deleting.size === 0;
  }
}
