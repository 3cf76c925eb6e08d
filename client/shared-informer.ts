// A shared informer, as client-go's: one list/watch of a kind (the kernel's Informer, a reflector)
// feeding one indexed store and any number of event handlers. Handlers added after the first list
// get an ADD for everything already stored. A re-list after a broken watch is diffed against the
// store, so handlers see the adds, updates and deletes they missed.
import { Informer, type Kernel, type KObject, type ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { Indexer, Lister, objectKey, type IndexFunc } from './store.ts';

export interface EventHandlers<T extends KObject = KObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** `obj` is the last state seen (for a delete noticed on a re-list: the last one stored) */
  onDelete?(obj: T): void;
}

export interface InformerSelection {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export class SharedInformer<T extends KObject = KObject> {
  readonly indexer = new Indexer<T>();
  readonly lister = new Lister<T>(this.indexer);
  private readonly handlers = new Set<EventHandlers<T>>();
  private readonly reflector: Informer;
  private started = false;
  private isSynced = false;

  constructor(
    kernel: Kernel,
    readonly ref: ResourceRef,
    selection: InformerSelection = {},
    private readonly logger?: Logger,
  ) {
    this.reflector = new Informer(kernel, ref, { reset: (items) => this.reset(items as T[]), event: (t, o) => this.event(t, o as T) }, { ...selection, logger });
  }

  get hasSynced(): boolean {
    return this.isSynced;
  }

  /** Resolves when the first list is in the store. */
  get synced(): Promise<void> {
    return this.reflector.synced;
  }

  /** Start listing and watching (once); resolves when the first list is in the store. */
  start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      void this.reflector.start().catch(() => {});
    }
    return this.reflector.synced;
  }

  stop(): void {
    this.reflector.stop();
  }

  addIndexers(indexers: Record<string, IndexFunc>): void {
    this.indexer.addIndexers(indexers);
  }

  /** Add handlers; returns the function that removes them. */
  addEventHandler(h: EventHandlers<T>): () => void {
    this.handlers.add(h);
    if (this.isSynced && h.onAdd) for (const o of this.indexer.list()) this.safe(() => h.onAdd!(o));
    return () => this.handlers.delete(h);
  }

  private reset(items: T[]): void {
    const seen = new Set<string>();
    for (const o of items) {
      const key = objectKey(o);
      seen.add(key);
      const old = this.indexer.set(o);
      if (!old) this.emit('add', o);
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit('update', o, old);
    }
    for (const key of [...this.indexer.keys()]) {
      if (seen.has(key)) continue;
      const old = this.indexer.delete(key)!;
      this.emit('delete', old);
    }
    this.isSynced = true;
  }

  private event(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: T): void {
    if (type === 'DELETED') {
      const old = this.indexer.delete(objectKey(o));
      this.emit('delete', o ?? old);
      return;
    }
    const old = this.indexer.set(o);
    if (old) this.emit('update', o, old);
    else this.emit('add', o);
  }

  /** A handler that throws must not stop the others nor the informer. */
  private safe(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.logger?.error('informer event handler failed', { resource: this.ref.resource, error: e instanceof Error ? e.stack : String(e) });
    }
  }

  private emit(kind: 'add' | 'update' | 'delete', o: T, old?: T): void {
    for (const h of this.handlers) {
      if (kind === 'add') h.onAdd && this.safe(() => h.onAdd!(o));
      else if (kind === 'update') h.onUpdate && this.safe(() => h.onUpdate!(old!, o));
      else h.onDelete && this.safe(() => h.onDelete!(o));
    }
  }
}

