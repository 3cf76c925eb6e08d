// @skiff/plugin-wasm-policies: WebAssembly scheduler and admission policies (components of the
// worlds in wasm-sdk/wit/policy.wit) run in sandboxed worker threads.
export { ComponentCache, defaultCacheDir, type LoadedComponent } from './component-cache.ts';
export { GuestSandbox, OP, type CallResult, type SandboxOptions } from './sandbox.ts';
export { GuestCalls } from './guest-calls.ts';
export { WasmSchedulerPolicy, type FailurePolicy } from './scheduler-policy.ts';
export { wasmSchedulerPolicyPlugin, type WasmSchedulerPolicyConfig } from './scheduler-plugin.ts';
export type { WasmPluginSpec } from './wasm-plugin-kit.ts';
export { wasmAdmissionPlugin, type WasmAdmissionConfig } from './admission-plugin.ts';
export { wasmArtifactLoaders, type ArtifactInput, type ArtifactPluginSpec } from './loaders.ts';
export { capModuleMemory } from './memory-cap.ts';
export { runPolicyTest, type PolicyTestFile, type PolicyTestResult, type PodOutcome, type RequestOutcome } from './policy-test.ts';
