// The scheduler plugin: the scheduling framework's runtime (queue, cache, cycles, binding), with a
// PolicyRegistry that policy plugins (type skiff.io/scheduler-policy) register their policies in.
//
// Config: { percentageOfNodesToScore?: 1..100 (default: adaptive, like kube), parallelBindings?:
// number (default 256), profiles?: scheduler names served (default ['default-scheduler']) }.
import { definePlugin } from '@skiff/kernel/plugins';
import { PolicyRegistryToken } from './framework.ts';
import { SchedulerPolicyRegistry } from './policy-registry.ts';
import { Scheduler } from './scheduler.ts';

export interface SchedulerPluginConfig {
  percentageOfNodesToScore?: number;
  parallelBindings: number;
  profiles?: string[];
}

export default definePlugin<SchedulerPluginConfig>({
  name: 'scheduler',
  version: '0.1.0',
  type: 'skiff.io/scheduler',
  provides: [PolicyRegistryToken],
  configSchema: {
    type: 'object',
    properties: {
      percentageOfNodesToScore: { type: 'number', minimum: 0, maximum: 100 },
      parallelBindings: { type: 'integer', minimum: 1, default: 256 },
      profiles: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    },
    additionalProperties: false,
  },
  async start(ctx) {
    const registry = new SchedulerPolicyRegistry();
    const scheduler = new Scheduler({
      kernel: ctx.kernel,
      registry,
      logger: ctx.logger,
      percentageOfNodesToScore: ctx.config.percentageOfNodesToScore,
      parallelBindings: ctx.config.parallelBindings,
      profiles: ctx.config.profiles,
    });
    ctx.provide(PolicyRegistryToken, registry);
    await scheduler.start();
    return {
      drain: () => scheduler.drain(),
      stop: () => scheduler.stop(),
    };
  },
});
