// Garbage collector (kube-controller-manager's garbagecollector): watches every kind, keeps the
// owner → dependents graph from metadata.ownerReferences, and
//  - deletes dependents whose owners are all gone (Background cascade, and dangling references);
//  - for an owner deleted with propagationPolicy Orphan, strips its references from the
//    dependents and removes the `orphan` finalizer;
//  - for an owner deleted with propagationPolicy Foreground, deletes the dependents and removes
//    `foregroundDeletion` once no blocking (blockOwnerDeletion) dependent remains.
// Failed work is logged and retried every `resyncSeconds`, when newly registered kinds are
// picked up too.
import type { KindInfo, KObject, WatchEvent } from '@skiff/kernel';
import { definePlugin } from '@skiff/kernel/plugins';
import { AbsentOwners, FOREGROUND, Graph, type GraphNode, kindKeyOf, ORPHAN, resourceKey, type KindKey } from './graph.ts';
import { WorkQueue } from './queue.ts';
import { Collector } from './reconcile.ts';
import { CollectionWatcher } from './watcher.ts';

export interface GarbageCollectorConfig {
  resyncSeconds: number;
  workers: number;
}

const watchable = (k: KindInfo) => k.verbs.includes('list') && k.verbs.includes('watch');

export default definePlugin<GarbageCollectorConfig>({
  name: 'garbage-collector',
  version: '0.1.0',
  type: 'skiff.io/controller',
  configSchema: {
    type: 'object',
    properties: {
      resyncSeconds: { type: 'number', exclusiveMinimum: 0, default: 5 },
      workers: { type: 'integer', minimum: 1, default: 4 },
    },
    additionalProperties: false,
  },
  start(ctx) {
    const { kernel, logger } = ctx;
    const graph = new Graph();
    const retry = new Set<string>();
    let stopped = false;

    const queue = new WorkQueue(async (uid) => {
      try {
        if ((await collector.process(uid)) === 'retry') retry.add(uid);
      } catch (e) {
        if (stopped) return;
        const n = graph.get(uid);
        logger.warn('garbage collection failed; will retry', { uid, name: n?.name, namespace: n?.namespace, kind: n?.kind.kind, error: String(e) });
        retry.add(uid);
      }
    }, ctx.config.workers);
    const enqueue = (uid: string) => queue.add(uid);
    const collector = new Collector(kernel, graph, new AbsentOwners(), enqueue, logger);

    /** owners (observed, deleting) waiting on a change to one of their dependents */
    const enqueueDeletingOwners = (...nodes: (GraphNode | undefined)[]) => {
      for (const n of nodes) for (const r of n?.owners ?? []) if (graph.get(r.uid)?.deleting) enqueue(r.uid);
    };

    const gone = (uid: string) => {
      const old = graph.remove(uid);
      if (!old) return;
      collector.observedGone(old);
      for (const dep of graph.dependents(uid)) enqueue(dep.uid);
      enqueueDeletingOwners(old);
    };

    const seen = (kind: KindKey, obj: KObject) => {
      const r = graph.upsert(kind, obj);
      if (!r) return;
      const { node, previous } = r;
      if (node.owners.length > 0 || (node.deleting && (node.finalizers.includes(ORPHAN) || node.finalizers.includes(FOREGROUND)))) {
        enqueue(node.uid);
      }
      enqueueDeletingOwners(node, previous);
    };

    const watchers = new Map<string, CollectionWatcher>();
    const syncKinds = () => {
      const wanted = new Map<string, KindInfo>();
      for (const k of kernel.kinds()) if (watchable(k) && !wanted.has(resourceKey(k))) wanted.set(resourceKey(k), k);
      for (const [key, w] of watchers) {
        if (wanted.has(key)) continue;
        w.stop();
        watchers.delete(key);
      }
      for (const [key, info] of wanted) {
        if (watchers.has(key)) continue;
        const kind = kindKeyOf(info);
        watchers.set(key, new CollectionWatcher(kernel, { group: kind.group, version: kind.version, resource: kind.resource }, {
          synced(items: KObject[]) {
            const present = new Set(items.map((o) => o.metadata.uid));
            for (const uid of graph.uidsOf(key)) if (!present.has(uid)) gone(uid);
            for (const o of items) seen(kind, o);
          },
          event(ev: WatchEvent) {
            if (ev.type === 'DELETED') {
              if (ev.object.metadata.uid) gone(ev.object.metadata.uid);
            } else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
              seen(kind, ev.object);
            }
          },
        }, logger));
      }
    };

    const resync = () => {
      if (stopped) return;
      try {
        syncKinds();
      } catch (e) {
        logger.warn('listing kinds failed', { error: String(e) });
      }
      const again = [...retry];
      retry.clear();
      for (const uid of again) enqueue(uid);
      // deletions waiting on this collector, in case an event was missed
      for (const n of graph.all()) {
        if (n.deleting && (n.finalizers.includes(ORPHAN) || n.finalizers.includes(FOREGROUND))) enqueue(n.uid);
      }
    };

    syncKinds();
    const timer = setInterval(resync, ctx.config.resyncSeconds * 1000);
    timer.unref();

    /** end the watches and the timer, let work in flight finish */
    const halt = async () => {
      stopped = true;
      clearInterval(timer);
      const ended = [...watchers.values()].map((w) => (w.stop(), w.done));
      watchers.clear();
      await Promise.all([queue.stop(), ...ended]);
    };
    return { drain: halt, stop: halt };
  },
});
