import { describe, expect, it } from 'vitest';
import { capModuleMemory } from './memory-cap.ts';
import { wasm } from './wasm-api.ts';

// (module (memory (export "mem") 1) (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
const GROW = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00,
  0x05, 0x03, 0x01, 0x00, 0x01,
  0x07, 0x0e, 0x02, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b,
]);

const instance = (bytes: Uint8Array) => new wasm.Instance(new wasm.Module(bytes)).exports as { grow(n: number): number; mem: { buffer: ArrayBuffer } };

describe('capModuleMemory', () => {
  it('makes memory.grow fail past the cap, and only past it', () => {
    expect(instance(GROW).grow(100)).toBe(1); // unlimited as built
    const capped = instance(capModuleMemory(GROW, 2 * 1024 * 1024)); // 32 pages
    expect(capped.grow(100)).toBe(-1);
    expect(capped.grow(31)).toBe(1);
    expect(capped.grow(1)).toBe(-1);
    expect(capped.mem.buffer.byteLength).toBe(2 * 1024 * 1024);
  });

  it('keeps a smaller maximum the module already has, and never goes below the initial size', () => {
    const once = capModuleMemory(GROW, 64 * 65536);
    const twice = capModuleMemory(once, 1024 * 65536);
    expect(instance(twice).grow(64)).toBe(-1);
    expect(instance(twice).grow(63)).toBe(1);
    expect(instance(capModuleMemory(GROW, 1)).mem.buffer.byteLength).toBe(65536);
  });

  it('rejects bytes that are not a module', () => {
    expect(() => capModuleMemory(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 1 << 20)).toThrow(/not a WebAssembly module/);
  });
});
