// An indexed object store, as client-go's cache.Indexer: objects by key ("namespace/name", or
// "name" for cluster-scoped ones), plus named indexes (index function -> values -> keys), and a
// lister view over it. Objects in it are shared: treat them as read-only (copy before changing).
import type { KObject } from '@skiff/kernel';
import { selectorMatches } from '@skiff/api';

export type IndexFunc = (obj: KObject) => string[];

export const NAMESPACE_INDEX = 'namespace';

export function objectKey(obj: { metadata: { namespace?: string; name?: string } }): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : String(obj.metadata.name);
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class Indexer<T extends KObject = KObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc>();
  /** index name -> indexed value -> keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc> = {}) {
    this.addIndexers({ [NAMESPACE_INDEX]: (o) => [o.metadata.namespace ?? ''], ...indexers });
  }

  /**
   * Add indexes (also over what is stored already). An index name means one thing in a process:
   * adding a name that exists keeps the first function (two controllers sharing an informer may
   * both ask for the well-known indexes of indexes.ts).
   */
  addIndexers(indexers: Record<string, IndexFunc>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.has(name)) continue;
      this.indexers.set(name, fn);
      const idx = new Map<string, Set<string>>();
      this.indices.set(name, idx);
      for (const [key, obj] of this.items) for (const v of fn(obj)) add(idx, v, key);
    }
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  list(): T[] {
    return [...this.items.values()];
  }

  /** Set (add or replace) an object; returns the previous one. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      for (const v of fn(obj)) add(idx, v, key);
    }
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /** Keys of the objects whose index `name` has `value`. */
  indexKeys(name: string, value: string): string[] {
    const idx = this.indices.get(name);
    if (!idx) throw new Error(`no index "${name}"`);
    return [...(idx.get(value) ?? [])];
  }

  byIndex(name: string, value: string): T[] {
    return this.indexKeys(name, value).map((k) => this.items.get(k)!);
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const s = idx.get(v);
        if (!s) continue;
        s.delete(key);
        if (s.size === 0) idx.delete(v);
      }
    }
  }
}

function add(idx: Map<string, Set<string>>, value: string, key: string): void {
  let s = idx.get(value);
  if (!s) idx.set(value, (s = new Set()));
  s.add(key);
}

/** A read view of an Indexer: get and list by namespace and label selector. */
export class Lister<T extends KObject = KObject> {
  constructor(private readonly indexer: Indexer<T>) {}

  get(namespace: string | undefined, name: string): T | undefined {
    return this.indexer.get(namespace ? `${namespace}/${name}` : name);
  }

  /**
   * Objects in `namespace` (undefined: all) that `selector` selects: a metav1.LabelSelector
   * (malformed selects nothing, as in kube), a predicate on labels, or undefined for everything.
   */
  list(namespace?: string, selector?: unknown | ((labels: Record<string, string>) => boolean)): T[] {
    const base = namespace === undefined ? this.indexer.list() : this.indexer.byIndex(NAMESPACE_INDEX, namespace);
    if (selector === undefined) return base;
    if (typeof selector === 'function') return base.filter((o) => (selector as (l: Record<string, string>) => boolean)(o.metadata.labels ?? {}));
    return base.filter((o) => selectorMatches(selector, o.metadata.labels ?? {}));
  }

  byIndex(name: string, value: string): T[] {
    return this.indexer.byIndex(name, value);
  }
}
