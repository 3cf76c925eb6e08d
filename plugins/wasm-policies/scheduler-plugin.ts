// A WebAssembly scheduler-policy component as a plugin descriptor: start() compiles it (cached by
// digest), runs it in a sandbox, configures it and registers it with the scheduler's policy
// registry under the plugin's name. A new version of the same plugin registers under the same name,
// which the scheduler swaps in between two scheduling cycles.
import { definePlugin, type PluginDescriptor } from '@skiff/kernel/plugins';
import { PolicyRegistryToken } from '@skiff/plugin-scheduler/framework';
import { GuestCalls } from './guest-calls.ts';
import { DEFAULT_FUEL, InlineSandbox } from './inline-sandbox.ts';
import { GuestSandbox, type Sandbox } from './sandbox.ts';
import { WasmSchedulerPolicy } from './scheduler-policy.ts';
import { checkExports, guestConfigOf, SANDBOX_CONFIG, type WasmPluginSpec } from './wasm-plugin-kit.ts';

export interface WasmSchedulerPolicyConfig {
  weight: number;
  profiles?: string[];
  /** inline: on the scheduler's thread, cut off by fuel; worker: in a worker thread, cut off by callTimeoutMs */
  isolation: 'inline' | 'worker';
  /** inline: steps per call (function entries and loop iterations) */
  fuel: number;
  callTimeoutMs: number;
  memoryLimitMb: number;
  /** the guest's own config, passed to its `configure` as JSON */
  policy?: Record<string, unknown>;
  [k: string]: unknown;
}

// as jco names them in the glue (camelCase)
export const SCHEDULER_POLICY_EXPORTS = ['configure', 'updateNodes', 'updateUsage', 'filter', 'score'];

export function wasmSchedulerPolicyPlugin(spec: WasmPluginSpec): PluginDescriptor<WasmSchedulerPolicyConfig> {
  return definePlugin<WasmSchedulerPolicyConfig>({
    name: spec.name,
    version: spec.version,
    type: 'skiff.io/scheduler-policy',
    requires: ['skiff.io/scheduler'],
    configSchema: {
      type: 'object',
      properties: {
        weight: { type: 'integer', minimum: 0, default: 1 },
        profiles: { type: 'array', items: { type: 'string', minLength: 1 } },
        isolation: { type: 'string', enum: ['inline', 'worker'], default: 'inline' },
        fuel: { type: 'integer', minimum: 1_000, maximum: 10_000_000_000, default: DEFAULT_FUEL },
        ...SANDBOX_CONFIG,
      },
      additionalProperties: true,
    },
    async start(ctx) {
      const inline = ctx.config.isolation === 'inline';
      const component = await spec.cache.load(spec.bytes, ctx.config.memoryLimitMb * 1024 * 1024, inline);
      checkExports(component.exports, SCHEDULER_POLICY_EXPORTS, 'scheduler-policy');
      const calls = new GuestCalls(ctx);
      const onRestart = (why: string) => calls.restarted(why);
      // inline by default: a worker thread's crossings cost more than the guest's work (measured)
      const sandbox: Sandbox = inline
        ? await InlineSandbox.start({ component, fuel: ctx.config.fuel, onRestart })
        : await GuestSandbox.start({ component, world: 'scheduler-policy', callTimeoutMs: ctx.config.callTimeoutMs, onRestart });
      try {
        const r = sandbox.configure(guestConfigOf(ctx.config, ['weight', 'profiles', 'isolation', 'fuel', 'callTimeoutMs', 'memoryLimitMb']));
        if (!r.ok) throw new Error(`the policy rejected its config: ${r.message}`);
        const caps = (r.json.capabilities ?? {}) as { filter?: boolean; score?: boolean };
        if (!caps.filter && !caps.score) throw new Error('the policy implements neither filter nor score');
        const registry = ctx.resolve(PolicyRegistryToken);
        const policy = new WasmSchedulerPolicy(spec.name, sandbox, calls, spec.failurePolicy ?? 'Fail', {
          filter: !!caps.filter,
          score: !!caps.score,
          // optional: components built before filter-score existed filter and score separately
          filterScore: component.exports.includes('filterScore'),
        });
        const reg = registry.register({ policy, weight: ctx.config.weight, ...(ctx.config.profiles ? { profiles: ctx.config.profiles } : {}) });
        return {
          stop() {
            reg.dispose();
            calls.stop();
            sandbox.stop();
          },
        };
      } catch (e) {
        calls.stop();
        sandbox.stop();
        throw e;
      }
    },
  });
}
