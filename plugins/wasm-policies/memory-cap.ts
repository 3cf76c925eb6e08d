// A hard memory cap for a guest: the core module's own memories get a maximum (in 64 KiB pages),
// so `memory.grow` past it fails inside the guest (its allocator then traps) instead of taking the
// host's RAM. Only the memory section's limits are rewritten; every other byte is kept.

const PAGE = 65_536;

export function readU32(b: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length) throw new Error('truncated LEB128 in the wasm module');
    const byte = b[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7;
    if (shift > 63) throw new Error('LEB128 too long in the wasm module');
  }
}

function writeU32(out: number[], v: number): void {
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
}

/**
 * The module with every memory it defines limited to `maxBytes` (rounded down to pages, at least
 * the memory's initial size). Imported memories are the importer's business and left alone;
 * 64-bit memories too. Throws on bytes that are not a wasm module.
 */
export function capModuleMemory(module: Uint8Array, maxBytes: number): Uint8Array {
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d) {
    throw new Error('not a WebAssembly module');
  }
  const maxPages = Math.max(1, Math.floor(maxBytes / PAGE));
  let pos = 8;
  while (pos < module.length) {
    const id = module[pos];
    const [size, body] = readU32(module, pos + 1);
    const end = body + size;
    if (id === 5) {
      const [count, p0] = readU32(module, body);
      const out: number[] = [];
      writeU32(out, count);
      let p = p0;
      for (let i = 0; i < count; i++) {
        const flags = module[p++];
        const [min, p1] = readU32(module, p);
        p = p1;
        let max: number | undefined;
        if (flags & 0x01) [max, p] = readU32(module, p);
        if (flags & 0x04) throw new Error('64-bit memories are not supported');
        const shared = (flags & 0x02) !== 0;
        const capped = Math.max(min, max === undefined ? maxPages : Math.min(max, maxPages));
        out.push((shared ? 0x02 : 0) | 0x01);
        writeU32(out, min);
        writeU32(out, capped);
      }
      if (p !== end) throw new Error('malformed memory section');
      const header: number[] = [5];
      writeU32(header, out.length);
      const result = new Uint8Array(pos + header.length + out.length + (module.length - end));
      result.set(module.subarray(0, pos), 0);
      result.set(header, pos);
      result.set(out, pos + header.length);
      result.set(module.subarray(end), pos + header.length + out.length);
      return result;
    }
    pos = end;
  }
  return module; // no memory of its own
}
