// Core module -> component: embed the world's WIT (component-type custom section) and let
// wit-component build the component around the canonical ABI exports.
import { policyWit, type PolicyWorld } from './sdk-paths.ts';

/**
 * The component custom section that tells Skiff's host how the guest was built. `arena-1`: one core
 * module whose `cabi_realloc` is a per-call arena released by post-return (wasm-sdk/assembly/arena.ts),
 * so a call's parameters may be lowered as one block and the scheduler's hot calls may skip jco's
 * glue (plugins/wasm-policies/direct-abi.mjs, which reads this section).
 */
export const ABI_SECTION = 'skiff:abi';
export const ABI_ARENA = 'arena-1';

export async function coreToComponent(core: Uint8Array, world: PolicyWorld): Promise<Uint8Array> {
  const { componentEmbed, componentNew } = await import('@bytecodealliance/jco'); // loaded on first use (CLI start-up)
  // the WIT as text: jco's wasm tools run in a sandbox that cannot read host paths
  const embedded = await componentEmbed({ binary: core, witSource: await policyWit(), world, stringEncoding: 'utf8' });
  return withCustomSection(await componentNew(embedded), ABI_SECTION, ABI_ARENA);
}

/** `bytes` (a module or component) with a custom section appended: id 0, size, name, payload. */
export function withCustomSection(bytes: Uint8Array, name: string, payload: string): Uint8Array {
  const enc = new TextEncoder();
  const n = enc.encode(name);
  const p = enc.encode(payload);
  const body = [...leb(n.length), ...n, ...p];
  const out = new Uint8Array(bytes.length + 1 + leb(body.length).length + body.length);
  out.set(bytes, 0);
  out.set([0, ...leb(body.length), ...body], bytes.length);
  return out;
}

function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
