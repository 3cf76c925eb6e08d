// The artifact loaders the Plugin controller uses for WebAssembly components: bytes from the
// artifact store in, a plugin descriptor of the Plugin's type out.
import type { PluginDescriptor } from '@skiff/kernel/plugins';
import { wasmAdmissionPlugin } from './admission-plugin.ts';
import { ComponentCache } from './component-cache.ts';
import { wasmSchedulerPolicyPlugin } from './scheduler-plugin.ts';
import type { FailurePolicy } from './scheduler-policy.ts';

export interface ArtifactInput {
  name: string;
  digest: string;
  bytes: Uint8Array;
}

export interface ArtifactPluginSpec {
  name: string;
  version?: string;
  failurePolicy?: string;
}

/** Short version from a digest when the Plugin names none: its first 12 hex digits. */
const versionOf = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
const failurePolicyOf = (s?: string): FailurePolicy => (s === 'Ignore' ? 'Ignore' : 'Fail');

export function wasmArtifactLoaders(cache = new ComponentCache()): Record<'skiff.io/scheduler-policy' | 'skiff.io/admission', (a: ArtifactInput, spec: ArtifactPluginSpec) => PluginDescriptor> {
  const common = (a: ArtifactInput, spec: ArtifactPluginSpec) => ({
    name: spec.name,
    version: spec.version || versionOf(a.digest),
    bytes: a.bytes,
    failurePolicy: failurePolicyOf(spec.failurePolicy),
    cache,
  });
  return {
    'skiff.io/scheduler-policy': (a, spec) => wasmSchedulerPolicyPlugin(common(a, spec)),
    'skiff.io/admission': (a, spec) => wasmAdmissionPlugin(common(a, spec)),
  };
}
