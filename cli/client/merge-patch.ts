// JSON merge patches (RFC 7386) as `kubectl apply` computes them: the three-way patch from the
// last-applied configuration (original), the new configuration (modified) and the live object
// (current) — set what changed, null what was removed from the configuration.

type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Whether `live` has everything `want` has (live may have more: fields the server defaulted, like
 * a container's imagePullPolicy). Arrays must have the same length, element by element.
 */
export function contains(live: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(live) && live.length === want.length && want.every((x, i) => contains(live[i], x));
  if (isObj(want)) return isObj(live) && Object.entries(want).every(([k, v]) => k in live && contains(live[k], v));
  return live === want;
}

/**
 * Fields of `modified` that differ from `current` (objects recursively; arrays and scalars whole).
 * An array the configuration did not change since `original` and that the live object still
 * contains (plus server defaults) is left alone: merge patches replace arrays whole, and sending
 * it back would only strip the defaults for the server to add again.
 */
function changes(current: unknown, modified: Obj, original: unknown): Obj {
  const out: Obj = {};
  const cur = isObj(current) ? current : {};
  const orig = isObj(original) ? original : undefined;
  for (const [k, v] of Object.entries(modified)) {
    if (deepEqual(cur[k], v)) continue;
    if (Array.isArray(v) && (orig === undefined || deepEqual(orig[k], v)) && contains(cur[k], v)) continue;
    if (isObj(v) && isObj(cur[k])) {
      const sub = changes(cur[k], v, orig?.[k]);
      if (Object.keys(sub).length) out[k] = sub;
    } else out[k] = v;
  }
  return out;
}

/** Nulls for fields in `original` that `modified` no longer has (and `current` still has). */
function deletions(original: Obj, modified: Obj, current: unknown): Obj {
  const out: Obj = {};
  const cur = isObj(current) ? current : {};
  for (const [k, v] of Object.entries(original)) {
    if (!(k in cur)) continue;
    if (!(k in modified)) out[k] = null;
    else if (isObj(v) && isObj(modified[k])) {
      const sub = deletions(v, modified[k] as Obj, cur[k]);
      if (Object.keys(sub).length) out[k] = sub;
    }
  }
  return out;
}

function mergeInto(target: Obj, extra: Obj): Obj {
  for (const [k, v] of Object.entries(extra)) {
    if (isObj(v) && isObj(target[k])) mergeInto(target[k] as Obj, v);
    else if (!(k in target)) target[k] = v;
  }
  return target;
}

export function threeWayMergePatch(original: Obj | undefined, modified: Obj, current: Obj): Obj {
  const patch = changes(current, modified, original);
  return original ? mergeInto(patch, deletions(original, modified, current)) : patch;
}

/** RFC 7386 merge patch application (to check what the server will do). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
