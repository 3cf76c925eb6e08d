// The one shape every policy plugin of this package has: a standard scheduler-policy descriptor
// whose start() builds the policy from its validated config, registers it with the scheduler's
// PolicyRegistry under its weight, and withdraws it on stop.
import type { SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { PolicyRegistryToken } from '@skiff/plugin-scheduler/framework';
import { definePlugin, type JSONSchema, type PluginContext, type PluginDescriptor } from '@skiff/kernel/plugins';
import { sharedPolicyDirectory } from './directory.ts';

export interface BaseConfig {
  /** Score weight */
  weight: number;
  /** scheduler profiles it applies to (default: the registry's default, ['default-scheduler']) */
  profiles?: string[];
}

export interface PolicyPluginSpec<C extends BaseConfig> {
  /** plugin (descriptor) name */
  name: string;
  /** default Score weight (kube's default profile weights) */
  weight?: number;
  /** policy-specific config properties, with defaults */
  properties?: Record<string, JSONSchema>;
  create(config: C, ctx: PluginContext<C>): SchedulerPolicy;
}

export const POLICY_PLUGIN_VERSION = '0.1.0';

/** The config schema of a policy plugin: weight, profiles and the policy's own properties. */
export function policyConfigSchema(weight: number | undefined, properties: Record<string, JSONSchema> = {}): JSONSchema {
  return {
    type: 'object',
    properties: {
      weight: { type: 'integer', minimum: 0, default: weight ?? 1 },
      profiles: { type: 'array', items: { type: 'string', minLength: 1 } },
      ...properties,
    },
    additionalProperties: false,
  };
}

/** Register `policy` with the scheduler (and the policy directory); the returned function withdraws it. */
export function registerPolicy<C extends BaseConfig>(ctx: PluginContext<C>, policy: SchedulerPolicy): () => void {
  const reg = ctx.resolve(PolicyRegistryToken).register({
    policy,
    weight: ctx.config.weight,
    ...(ctx.config.profiles ? { profiles: ctx.config.profiles } : {}),
  });
  const withdraw = sharedPolicyDirectory().publish(policy);
  return () => {
    reg.dispose();
    withdraw();
  };
}

export function policyPlugin<C extends BaseConfig>(spec: PolicyPluginSpec<C>): PluginDescriptor<C> {
  return definePlugin<C>({
    name: spec.name,
    version: POLICY_PLUGIN_VERSION,
    type: 'skiff.io/scheduler-policy',
    requires: ['skiff.io/scheduler'],
    configSchema: policyConfigSchema(spec.weight, spec.properties),
    start(ctx) {
      return { stop: registerPolicy(ctx, spec.create(ctx.config, ctx)) };
    },
  });
}
