// Garbage collector (kube-controller-manager's garbagecollector): follows every deletable kind
// through the process's shared informers, keeps the owner → dependents graph from
// metadata.ownerReferences, and, while this process leads on the controllers' Lease,
//  - deletes dependents whose owners are all gone (Background cascade, and dangling references);
//  - for an owner deleted with propagationPolicy Orphan, strips its references from the
//    dependents and removes the `orphan` finalizer;
//  - for an owner deleted with propagationPolicy Foreground, deletes the dependents and removes
//    `foregroundDeletion` once no blocking (blockOwnerDeletion) dependent remains.
// Failed work is retried with back-off; kinds registered later are picked up every `resyncSeconds`.
import { kitConfigSchema } from '@skiff/client';
import { definePlugin } from '@skiff/kernel/plugins';
import { GarbageCollector, type GarbageCollectorConfig } from './garbage-collector.ts';

export type { GarbageCollectorConfig };

export default definePlugin<GarbageCollectorConfig>({
  name: 'garbage-collector',
  version: '0.2.0',
  type: 'skiff.io/controller',
  // kube's --concurrent-gc-syncs is 20; collecting is mostly reads of the graph here
  configSchema: kitConfigSchema({ type: 'object', properties: { resyncSeconds: { type: 'number', exclusiveMinimum: 0, default: 5 } } }, 4),
  async start(ctx) {
    const gc = new GarbageCollector(ctx.kernel, ctx.config, ctx.logger, (stats) => ctx.reportRuntime(stats));
    await gc.start();
    return { drain: () => gc.stop(), stop: () => gc.stop() };
  },
});
