// @skiff/wasm-sdk: build Skiff's WebAssembly policies (components for the worlds in wit/policy.wit)
// from AssemblyScript (with the SDK in assembly/, imported as "skiff") or JavaScript, and start new
// policy projects. See README.md.
export { buildComponent, type BuildOptions, type BuildResult } from './build.ts';
export { newProject, type NewProject } from './new-project.ts';
export { POLICY_WORLDS, policyWit, sdkPath, type PolicyWorld } from './sdk-paths.ts';
export * from './wit-values.ts';
