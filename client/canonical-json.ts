// Two canonical JSON encodings for hashing and comparing objects, as kube's controllers see them:
// - goJson: what Go's json.Marshal writes for a map[string]interface{} (keys sorted at every level,
//   <, >, &, U+2028 and U+2029 escaped): the bytes of a ControllerRevision's data, compared and hashed;
// - semanticJson: keys sorted, and what Go's semantic equality treats as absent (null, empty maps
//   and lists) left out, so two pod templates kube calls equal encode alike: the input of a
//   pod-template-hash.

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined && typeof x !== 'function') out[k] = sortKeys(x);
  }
  return out;
}

/** JSON as Go's json.Marshal writes a map[string]interface{}. */
export function goJson(v: unknown): string {
  return (JSON.stringify(sortKeys(v)) ?? 'null').replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function normalize(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'function') return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => normalize(x) ?? null);
  if (typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const n = normalize((v as Record<string, unknown>)[k]);
    if (n !== undefined) out[k] = n;
  }
  return Object.keys(out).length ? out : undefined;
}

/** JSON with keys sorted and null / empty maps / empty lists left out ("null" when nothing is left). */
export function semanticJson(v: unknown): string {
  return JSON.stringify(normalize(v)) ?? 'null';
}
