// Shared informers per process: however many controllers in a process ask for a kind (with the same
// selection), there is one watch and one store. Informers are reference-counted: the last release
// stops the watch and frees the store, so a plugin reloaded a hundred times does not pile them up.
// One factory per Kernel object, found through a process-global registry (a plugin bundled with its
// own copy of this module still shares the factory of the process).
import type { Kernel, KObject, ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { SharedInformer, type InformerSelection } from './shared-informer.ts';

interface Entry {
  informer: SharedInformer;
  refs: number;
}

export interface InformerLease<T extends KObject = KObject> {
  informer: SharedInformer<T>;
  /** Give the informer back (once); the last release stops it. */
  release(): void;
}

export class SharedInformerFactory {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly kernel: Kernel,
    private readonly logger?: Logger,
  ) {}

  /** The process's factory for `kernel`. */
  static for(kernel: Kernel, logger?: Logger): SharedInformerFactory {
    const registry = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new WeakMap<Kernel, SharedInformerFactory>()) as WeakMap<Kernel, SharedInformerFactory>;
    let f = registry.get(kernel);
    if (!f) registry.set(kernel, (f = new SharedInformerFactory(kernel, logger)));
    return f;
  }

  /** Take a reference to the informer of `ref` (created and started on first use). */
  acquire<T extends KObject = KObject>(ref: ResourceRef, selection: InformerSelection = {}): InformerLease<T> {
    const key = [ref.group, ref.version, ref.resource, selection.namespace ?? '', selection.labelSelector ?? '', selection.fieldSelector ?? ''].join('\0');
    let e = this.entries.get(key);
    if (!e) {
      e = { informer: new SharedInformer(this.kernel, ref, selection, this.logger), refs: 0 };
      this.entries.set(key, e);
      void e.informer.start();
    }
    e.refs++;
    const entry = e;
    let released = false;
    return {
      informer: entry.informer as unknown as SharedInformer<T>,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.refs > 0) return;
        entry.informer.stop();
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    };
  }

  /** Informers alive (for tests of reloads). */
  get size(): number {
    return this.entries.size;
  }
}

const REGISTRY = Symbol.for('skiff.client.shared-informer-factories');
