// The hashes kube's controllers put in names and labels: FNV-32 (history.HashControllerRevision) and
// FNV-32a (controller.ComputeHash) sums, written in decimal and encoded with rand.SafeEncodeString
// (digits mapped into an alphabet without vowels, so a hash never spells a word).
// ComputeHash hashes the Go struct of the pod template; Skiff hashes its semanticJson, so templates
// kube calls equal hash alike.
import { semanticJson } from './canonical-json.ts';

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** FNV-1, 32 bits (Go's hash/fnv New32: multiply, then xor), continuing from `h`. */
export function fnv32(bytes: Uint8Array, h = FNV32_OFFSET): number {
  for (let i = 0; i < bytes.length; i++) h = (Math.imul(h, FNV32_PRIME) ^ bytes[i]) >>> 0;
  return h >>> 0;
}

/** FNV-1a, 32 bits (Go's New32a: xor, then multiply), continuing from `h`. */
export function fnv32a(bytes: Uint8Array, h = FNV32_OFFSET): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], FNV32_PRIME) >>> 0;
  return h >>> 0;
}

/** rand.SafeEncodeString's alphabet: no vowels, no 0, 1, 3 (they look like o, l, e). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each character mapped onto ALPHANUMS. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[ch.codePointAt(0)! % ALPHANUMS.length];
  return out;
}

const encoder = new TextEncoder();

/**
 * controller.ComputeHash(template, collisionCount): the pod-template-hash of a Deployment's
 * ReplicaSets and the controller-revision-hash of a DaemonSet's revisions. A collision count (0
 * included) is hashed on as a little-endian uint32 in an 8-byte buffer, as kube writes it.
 */
export function computeHash(template: unknown, collisionCount?: number | null): string {
  let h = fnv32a(encoder.encode(semanticJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}
