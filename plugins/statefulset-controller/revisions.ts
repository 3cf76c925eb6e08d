// ControllerRevisions as values: how kube names, hashes, compares and applies a StatefulSet's
// revisions (pkg/controller/history and the revision helpers of stateful_set_utils.go). A revision's
// data is a strategic merge patch that replaces spec.template: {"spec":{"template":{...,"$patch":"replace"}}}.
import { newControllerRef, type ControllerRevision, type PodTemplateSpec, type StatefulSet } from '@skiff/api';
import { STS_API_VERSION, STS_KIND } from './identity.ts';

/** history.ControllerRevisionHashLabel */
export const HASH_LABEL = 'controller.kubernetes.io/hash';

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** apimachinery's rand.SafeEncodeString: each byte mapped onto consonants and digits (no bad words). */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += ALPHANUMS[b % ALPHANUMS.length];
  return out;
}

/** 32-bit FNV-1 (Go's hash/fnv New32: multiply, then xor). */
export function fnv1_32(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of data) h = (Math.imul(h, 0x01000193) ^ b) >>> 0;
  return h >>> 0;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

/** JSON as Go's json.Marshal writes a map[string]interface{}: keys sorted, <, >, &, U+2028/9 escaped. */
export function goJson(v: unknown): string {
  return JSON.stringify(sortKeys(v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** history.HashControllerRevision over the data's bytes and the collision count. */
export function hashRevisionData(dataJson: string, collisionCount: number | undefined): string {
  const bytes = Buffer.from(collisionCount === undefined ? dataJson : dataJson + String(collisionCount), 'utf8');
  return safeEncodeString(String(fnv1_32(bytes)));
}

/** history.ControllerRevisionName: prefix-hash, the prefix cut to 223 characters. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

const canonical = new WeakMap<object, string>();

/** The revision data of a set: its pod template as a replacing patch (getPatch). */
export function patchOf(set: StatefulSet): { spec: { template: Record<string, unknown> } } {
  return { spec: { template: { ...(structuredClone(set.spec?.template ?? {}) as Record<string, unknown>), $patch: 'replace' } } };
}

/** The data of a revision as bytes to compare (cached per stored object). */
export function dataJson(rev: ControllerRevision): string {
  let s = canonical.get(rev);
  if (s === undefined) canonical.set(rev, (s = goJson(rev.data ?? null)));
  return s;
}

/** A revision of `set` numbered `revision` (not yet stored), named by its hash and collisionCount. */
export function newRevision(set: StatefulSet, revision: number, collisionCount: number): ControllerRevision {
  const data = patchOf(set);
  const json = goJson(data);
  const hash = hashRevisionData(json, collisionCount);
  const annotations = { ...(set.metadata.annotations ?? {}) };
  const rev: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(set.metadata.name!, hash),
      namespace: set.metadata.namespace,
      labels: { ...(set.spec?.template?.metadata?.labels ?? {}), [HASH_LABEL]: hash },
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ownerReferences: [newControllerRef(set, STS_API_VERSION, STS_KIND)],
    },
    data,
    revision,
  };
  canonical.set(rev, json);
  return rev;
}

/** history.EqualRevision: hash labels (when both parse as int32) differ → not equal; else the data decides. */
export function equalRevision(a: ControllerRevision, b: ControllerRevision): boolean {
  const ha = intHash(a);
  const hb = intHash(b);
  if (ha !== undefined && hb !== undefined && ha !== hb) return false;
  return dataJson(a) === dataJson(b);
}

function intHash(r: ControllerRevision): number | undefined {
  const s = r.metadata.labels?.[HASH_LABEL];
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n >>> 0 : undefined;
}

/** history.SortControllerRevisions: by revision, then creation time, then name (stable). */
export function sortRevisions(revs: ControllerRevision[]): ControllerRevision[] {
  return revs.sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    if (ta !== tb) return ta - tb;
    const na = a.metadata.name ?? '';
    const nb = b.metadata.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** One more than the highest revision number (1 for none); revisions sorted. */
export const nextRevision = (sorted: ControllerRevision[]): number => (sorted.length ? sorted[sorted.length - 1].revision + 1 : 1);

const templates = new WeakMap<object, PodTemplateSpec>();

/** ApplyRevision: the set with the revision's template (the patch replaces spec.template whole). */
export function applyRevision(set: StatefulSet, rev: ControllerRevision): StatefulSet {
  let template = templates.get(rev);
  if (!template) {
    const data = (rev.data ?? {}) as { spec?: { template?: Record<string, unknown> } };
    const { $patch: _, ...rest } = data.spec?.template ?? {};
    templates.set(rev, (template = rest as PodTemplateSpec));
  }
  return { ...set, spec: { ...set.spec!, template } };
}
