// The volume policies as scheduler-policy plugins: each reads claims, volumes, classes and CSI
// objects from shared informers (synced before it registers) and announces their changes to the
// scheduler as the StorageChange cluster event, so pods they turned away are retried.
import { CSI_DRIVERS, CSI_NODES, CSI_STORAGE_CAPACITIES, PVCS, PVS, STORAGE_CLASSES } from '@skiff/api';
import { SharedInformerFactory } from '@skiff/client';
import { definePlugin, type JSONSchema, type PluginContext, type PluginDescriptor } from '@skiff/kernel/plugins';
import { PolicyRegistryToken, type SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { policyConfigSchema, POLICY_PLUGIN_VERSION, registerPolicy, type BaseConfig } from './plugin-kit.ts';
import { nodeVolumeLimits } from './node-volume-limits.ts';
import { informerListers, type VolumeListers } from './volume-listers.ts';
import { volumeBinding } from './volume-binding.ts';
import { volumeRestrictions } from './volume-restrictions.ts';

function volumePolicyPlugin<C extends BaseConfig>(spec: {
  name: string;
  properties?: Record<string, JSONSchema>;
  create(config: C, ctx: PluginContext<C>, listers: VolumeListers): SchedulerPolicy;
}): PluginDescriptor<C> {
  return definePlugin<C>({
    name: spec.name,
    version: POLICY_PLUGIN_VERSION,
    type: 'skiff.io/scheduler-policy',
    requires: ['skiff.io/scheduler'],
    configSchema: policyConfigSchema(1, spec.properties),
    async start(ctx) {
      const { listers, synced, release } = informerListers(ctx.kernel, ctx.logger);
      await synced;
      const withdraw = registerPolicy(ctx, spec.create(ctx.config, ctx, listers));
      // every change of a volume object may let a pod in
      const registry = ctx.resolve(PolicyRegistryToken);
      const unsub = informersOf(ctx, () => registry.clusterEvent?.('StorageChange'));
      return {
        stop: () => {
          unsub();
          withdraw();
          release();
        },
      };
    },
  });
}

/** Subscribe `fn` to changes of every volume kind (the informers are shared with the listers). */
function informersOf<C>(ctx: PluginContext<C>, fn: () => void): () => void {
  const f = SharedInformerFactory.for(ctx.kernel, ctx.logger);
  const offs: (() => void)[] = [];
  for (const ref of [PVCS, PVS, STORAGE_CLASSES, CSI_NODES, CSI_DRIVERS, CSI_STORAGE_CAPACITIES]) {
    const lease = f.acquire(ref);
    const off = lease.informer.addEventHandler({ onAdd: fn, onUpdate: (a, b) => a.metadata.resourceVersion !== b.metadata.resourceVersion && fn(), onDelete: fn });
    offs.push(() => {
      off();
      lease.release();
    });
  }
  return () => offs.forEach((o) => o());
}

export const volumeBindingPlugin = volumePolicyPlugin<BaseConfig & { bindTimeoutSeconds: number }>({
  name: 'volume-binding',
  properties: { bindTimeoutSeconds: { type: 'integer', minimum: 1, default: 600 } },
  create: (config, ctx, listers) => volumeBinding(ctx.kernel, listers, { bindTimeoutSeconds: config.bindTimeoutSeconds }),
});

export const volumeRestrictionsPlugin = volumePolicyPlugin<BaseConfig>({ name: 'volume-restrictions', create: (_c, _ctx, listers) => volumeRestrictions(listers) });

export const nodeVolumeLimitsPlugin = volumePolicyPlugin<BaseConfig>({ name: 'node-volume-limits', create: (_c, _ctx, listers) => nodeVolumeLimits(listers) });
