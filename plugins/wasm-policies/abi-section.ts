// What a component says about how it was built: its top-level `skiff:abi` custom section, written
// by the SDK's build (wasm-sdk/core-to-component.ts). `arena-1` lets the host call the scheduler's
// hot exports directly (direct-abi.mjs).
import { readU32 } from './memory-cap.ts';

export const ABI_SECTION = 'skiff:abi';
export const ABI_ARENA = 'arena-1';

/** The payload of the component's top-level `skiff:abi` custom section, if it has one. */
export function componentAbi(bytes: Uint8Array): string | undefined {
  const dec = new TextDecoder();
  let pos = 8; // magic and version/layer
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, body] = readU32(bytes, pos + 1);
    const end = body + size;
    if (end > bytes.length) return undefined;
    if (id === 0) {
      const [len, name] = readU32(bytes, body);
      if (dec.decode(bytes.subarray(name, name + len)) === ABI_SECTION) return dec.decode(bytes.subarray(name + len, end));
    }
    pos = end;
  }
  return undefined;
}
