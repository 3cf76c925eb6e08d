// The pod-template-hash, as kube's controller.ComputeHash: an FNV-32a hash of the pod template
// (here: its canonical JSON), then the collisionCount as 8 little-endian bytes when set, and the
// decimal of the 32-bit sum encoded with rand.SafeEncodeString (digits mapped into an alphabet with
// no vowels, so a hash never spells a word). Templates compare as kube's EqualIgnoreHash.
import type { PodTemplateSpec } from '@skiff/api';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** rand.SafeEncodeString's alphabet: no vowels, no 0/1/3 (look like o/l/e). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[ch.codePointAt(0)! % ALPHANUMS.length];
  return out;
}

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** FNV-1a, 32 bits, over bytes (continuing from `h`). */
export function fnv32a(bytes: Uint8Array, h = FNV32_OFFSET): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV32_PRIME) >>> 0;
  }
  return h >>> 0;
}

/**
 * JSON with keys sorted, and what Go's semantic equality treats as absent left out (null, empty
 * maps and lists), so two templates that kube calls equal render the same.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(normalize(v)) ?? 'null';
}

function normalize(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    return v.map((x) => normalize(x) ?? null);
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const n = normalize((v as Record<string, unknown>)[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

const encoder = new TextEncoder();

/** The pod-template-hash of a template and the deployment's status.collisionCount. */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(encoder.encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8); // binary.LittleEndian.PutUint32 into an 8-byte slice
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/** The template without the pod-template-hash label, canonical (cached per template object). */
const canonicalCache = new WeakMap<object, string>();
export function templateKey(template: PodTemplateSpec | undefined): string {
  if (!template) return canonicalJson({});
  let s = canonicalCache.get(template);
  if (s === undefined) {
    const labels = template.metadata?.labels;
    let t: unknown = template;
    if (labels && POD_TEMPLATE_HASH_LABEL in labels) {
      const { [POD_TEMPLATE_HASH_LABEL]: _, ...rest } = labels;
      t = { ...template, metadata: { ...template.metadata, labels: rest } };
    }
    s = canonicalJson(t);
    canonicalCache.set(template, s);
  }
  return s;
}

/**
 * The template key of an RS, cached by uid and generation: an RS's template changes only with its
 * generation, while a status update brings a new copy of the object (and of its template).
 */
const rsKeys = new Map<string, { generation: number | undefined; key: string }>();
const MAX_RS_KEYS = 50_000;
export function replicaSetTemplateKey(rs: { metadata: { uid?: string; generation?: number }; spec?: { template?: PodTemplateSpec } }): string {
  const uid = rs.metadata.uid;
  if (!uid) return templateKey(rs.spec?.template);
  const hit = rsKeys.get(uid);
  if (hit && hit.generation === rs.metadata.generation) return hit.key;
  const key = templateKey(rs.spec?.template);
  if (rsKeys.size >= MAX_RS_KEYS) rsKeys.clear(); // a bound, not an LRU: misses only cost a render
  rsKeys.set(uid, { generation: rs.metadata.generation, key });
  return key;
}

/** kube's EqualIgnoreHash: equal templates but for the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return templateKey(a) === templateKey(b);
}
