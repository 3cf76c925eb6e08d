// The WebAssembly JS API as this package uses it. TypeScript's declarations for it come only with
// the DOM library, which this project does not load (it clashes with Node's types).

/** A compiled core module (opaque; structured-cloneable into a worker). */
export interface CompiledModule {
  readonly __compiledModule?: never;
}

export interface WasmInstance {
  exports: Record<string, unknown>;
}

export interface WasmApi {
  compile(bytes: Uint8Array): Promise<CompiledModule>;
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports?: object) => WasmInstance;
  Global: new (descriptor: { value: 'i32' | 'i64' | 'f32' | 'f64'; mutable?: boolean }, value?: number | bigint) => { value: number | bigint };
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
