// Controller expectations, as kube's controller.ControllerExpectations: a controller that has just
// created or deleted N objects for a key must not act on that key again until its informer has seen
// those N changes (or a timeout passes), else it would count the same pods twice and create
// duplicates. Deletions can be tracked by key (UIDTrackingControllerExpectations) so a delete that is
// observed twice is counted once.

const DEFAULT_TTL_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  at: number;
  /** keys of objects whose deletion is expected */
  deleting: Set<string>;
}

export class Expectations {
  private readonly items = new Map<string, Expectation>();

  constructor(private readonly ttlMs = DEFAULT_TTL_MS) {}

  /** True when nothing is outstanding for `key` (or what was expected is older than the TTL). */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if ((e.add <= 0 && e.del <= 0) || Date.now() - e.at > this.ttlMs) return true;
    return false;
  }

  /** Expect `adds` creations and the deletion of `deleteKeys` for `key` (replaces what was expected). */
  expect(key: string, adds: number, deleteKeys: readonly string[] = []): void {
    this.items.set(key, { add: adds, del: deleteKeys.length, at: Date.now(), deleting: new Set(deleteKeys) });
  }

  expectCreations(key: string, n: number): void {
    this.expect(key, n);
  }

  expectDeletions(key: string, objKeys: readonly string[]): void {
    this.expect(key, 0, objKeys);
  }

  /** A creation for `key` was seen (or a create failed and will not be seen). */
  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.add--;
  }

  /** The deletion of `objKey` for `key` was seen (or the delete failed); counted once per object. */
  deletionObserved(key: string, objKey?: string): void {
    const e = this.items.get(key);
    if (!e) return;
    if (objKey !== undefined) {
      if (!e.deleting.delete(objKey)) return;
    }
    e.del--;
  }

  /** Lower the expected creations by n (creates skipped after a failure in a batch). */
  lowerCreations(key: string, n: number): void {
    const e = this.items.get(key);
    if (e) e.add -= n;
  }

  forget(key: string): void {
    this.items.delete(key);
  }
}
