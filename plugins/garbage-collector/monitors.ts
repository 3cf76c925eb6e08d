// The garbage collector's view of every kind, as kube's GraphBuilder monitors: one shared informer
// (SharedInformerFactory: the same watch and store the other controllers of the process use) per
// deletable kind — list, watch and delete served; Events ignored, as kube's GC ignores them — whose
// changes feed the graph. Kinds registered later are picked up by `sync()`; a kind no longer served
// loses its informer but its objects stay in the graph (a kind re-registered by a plugin reload must
// not look like the deletion of all its objects).
import { SharedInformerFactory, type InformerLease } from '@skiff/client';
import type { Kernel, KindInfo, KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { kindKeyOf, resourceKey, type KindKey } from './graph.ts';

/** kube's DefaultIgnoredResources: Events are never owners or dependents worth a watch. */
export const IGNORED_RESOURCES = new Set(['/events', 'events.k8s.io/events']);

/** kube's GetDeletableResources: the GC can only act on kinds it can list, watch and delete. */
export const deletable = (k: KindInfo): boolean =>
  ['list', 'watch', 'delete'].every((v) => k.verbs.includes(v)) && !IGNORED_RESOURCES.has(resourceKey(k));

export interface GraphSink {
  /** an object as it is now */
  seen(kind: KindKey, obj: KObject): void;
  /** an object is gone (a delete, or missing from a re-list) */
  gone(uid: string): void;
}

export class Monitors {
  private readonly factory: SharedInformerFactory;
  private readonly monitors = new Map<string, { lease: InformerLease; off: () => void }>();

  constructor(
    private readonly kernel: Kernel,
    private readonly sink: GraphSink,
    logger?: Logger,
  ) {
    this.factory = SharedInformerFactory.for(kernel, logger);
  }

  /** The resources followed ("group/resource"). */
  get resources(): string[] {
    return [...this.monitors.keys()];
  }

  /** Follow every deletable kind served now (one version per resource), stop following the others. */
  sync(): void {
    const wanted = new Map<string, KindInfo>();
    for (const k of this.kernel.kinds()) if (deletable(k) && !wanted.has(resourceKey(k))) wanted.set(resourceKey(k), k);
    for (const [key, m] of this.monitors) {
      if (wanted.has(key)) continue;
      m.off();
      m.lease.release();
      this.monitors.delete(key);
    }
    for (const [key, info] of wanted) {
      if (this.monitors.has(key)) continue;
      const kind = kindKeyOf(info);
      const lease = this.factory.acquire({ group: kind.group, version: kind.version, resource: kind.resource });
      const sink = this.sink;
      const off = lease.informer.addEventHandler({
        onAdd: (o) => sink.seen(kind, o),
        onUpdate: (old, o) => {
          // deleted and made again under the name between two lists: two objects, not one
          if (old.metadata.uid !== o.metadata.uid && old.metadata.uid) sink.gone(old.metadata.uid);
          sink.seen(kind, o);
        },
        onDelete: (o) => void (o.metadata.uid && sink.gone(o.metadata.uid)),
      });
      this.monitors.set(key, { lease, off });
    }
  }

  /** Resolves when every informer has listed once, or after `timeoutMs` (kube's GC goes on then too). */
  async synced(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const all = Promise.all([...this.monitors.values()].map((m) => m.lease.informer.synced)).then(() => true, () => false);
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    for (const m of this.monitors.values()) {
      m.off();
      m.lease.release();
    }
    this.monitors.clear();
  }
}
