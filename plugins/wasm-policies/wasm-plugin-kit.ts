// What the WebAssembly plugin descriptors (scheduler policy, admission policy) share: their spec,
// the host-side settings of their config, the check of a component's exports, and the guest's own
// part of the config.
import type { ComponentCache } from './component-cache.ts';
import type { FailurePolicy } from './scheduler-policy.ts';

export interface WasmPluginSpec {
  name: string;
  version: string;
  bytes: Uint8Array;
  failurePolicy?: FailurePolicy;
  cache: ComponentCache;
}

/** Host-side settings shared by every WebAssembly plugin's config. */
export const SANDBOX_CONFIG = {
  callTimeoutMs: { type: 'integer', minimum: 1, maximum: 60_000, default: 50 },
  memoryLimitMb: { type: 'integer', minimum: 1, maximum: 4_096, default: 64 },
  policy: { type: 'object', description: "the guest's own config" },
} as const;

/** The exports a world needs, checked before anything runs. */
export function checkExports(exports: string[], needed: string[], world: string): void {
  const missing = needed.filter((e) => !exports.includes(e));
  if (missing.length) {
    throw new Error(`the component is not a ${world}: it does not export ${missing.join(', ')} (it exports ${exports.join(', ') || 'nothing'})`);
  }
}

/** The guest's config: `policy` if given, else every key that is not a host setting. */
export function guestConfigOf(config: Record<string, unknown>, hostKeys: readonly string[]): string {
  if (config.policy && typeof config.policy === 'object') return JSON.stringify(config.policy);
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!hostKeys.includes(k)) rest[k] = v;
  return JSON.stringify(rest);
}
