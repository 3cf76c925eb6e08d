// Applying PATCH bodies: JSON patch (RFC 6902, fast-json-patch), JSON merge patch (RFC 7386), and
// strategic merge patch approximated as a merge patch that merges lists of named items (containers,
// env, ports, volumes, ...) by their `name` (or the list's merge key) instead of replacing them.
import { cloneJson } from './json.ts';
import { applyJsonPatch, JsonPatchFailure } from './json-patch.ts';
import { errors } from './status.ts';
import type { KObject, PatchType } from './types.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `o[k] = v` that keeps a `__proto__` key a plain field (JSON.parse makes such keys; assigning one would set the prototype). */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else put(out, k, mergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}

// The directives of strategic merge patch. A JSON merge patch (and an apply configuration) is the
// object as it should be: a directive there is not a field to store, and Kubernetes refuses it as an
// unknown field (kubectl asks for strict field validation).
const DIRECTIVE = /^\$(patch|retainKeys)$|^\$(setElementOrder|deleteFromPrimitiveList)\//;

/** 400 for the first strategic-merge-patch directive in a merge patch, naming where it is. */
export function rejectDirectives(patch: unknown, what: string): void {
  const stack: [unknown, string][] = [[patch, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, `${path}[${i}]`]));
    else if (isObj(v))
      for (const [k, x] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        if (DIRECTIVE.test(k)) throw errors.badRequest(`${what}: unknown field "${at}": "${k}" is a strategic merge patch directive; send it as application/strategic-merge-patch+json`);
        stack.push([x, at]);
      }
  }
}

// merge keys of the list fields Kubernetes merges strategically
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  conditions: 'type',
  tolerations: 'key',
  hostAliases: 'ip',
  ownerReferences: 'uid',
};

const PATCH_VALUES = new Set(['replace', 'merge', 'delete']);

function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const directive = patch['$patch'];
  if (directive !== undefined && (typeof directive !== 'string' || !PATCH_VALUES.has(directive))) {
    throw errors.badRequest(`unknown patch directive $patch: ${JSON.stringify(directive)} (replace, merge or delete)`);
  }
  if (directive === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return rest;
  }
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    const mk = MERGE_KEYS[k];
    const cur = Object.hasOwn(out, k) ? out[k] : undefined;
    if (v === null || (isObj(v) && v['$patch'] === 'delete')) delete out[k];
    else if (mk && Array.isArray(v) && Array.isArray(cur)) put(out, k, mergeList(cur, v, mk));
    else put(out, k, strategicMerge(cur, v));
  }
  // $deleteFromPrimitiveList/<list>: values to take out of a list of scalars
  for (const [k, v] of Object.entries(patch)) {
    const m = /^\$deleteFromPrimitiveList\/(.+)$/.exec(k);
    if (!m) continue;
    if (!Array.isArray(v)) throw errors.badRequest(`${k} must be a list`);
    const list = Object.hasOwn(out, m[1]!) ? out[m[1]!] : undefined;
    const drop = new Set(v);
    if (Array.isArray(list)) put(out, m[1]!, list.filter((x) => !drop.has(x)));
  }
  // $retainKeys: the fields to keep (the others are cleared), as for a union's discriminator
  const retain = patch['$retainKeys'];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((x) => typeof x === 'string')) throw errors.badRequest('$retainKeys must be a list of field names');
    const keep = new Set(retain);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

function mergeList(cur: unknown[], patch: unknown[], key: string): unknown[] {
  if (k8sKeyMissing(patch, key)) return patch;
  // positions by merge key (the first item with a key, as a search from the front finds it): a
  // lookup per patch item, not a scan of the list (10^5 items each way were 10^10 comparisons)
  const out: unknown[] = [...cur];
  const at = new Map<unknown, number[]>();
  const index = (i: number) => {
    const c = out[i];
    if (!isObj(c)) return;
    const l = at.get(c[key]);
    if (l) l.push(i);
    else at.set(c[key], [i]);
  };
  for (let i = 0; i < out.length; i++) index(i);
  const gone = new Set<number>();
  for (const p of patch as Record<string, unknown>[]) {
    const l = at.get(p[key]);
    const i = l?.[0];
    if (p['$patch'] === 'delete') {
      if (i !== undefined) {
        gone.add(i);
        l!.shift();
      }
    } else if (i !== undefined) out[i] = strategicMerge(out[i], p);
    else {
      out.push(strategicMerge(undefined, p));
      index(out.length - 1);
    }
  }
  return gone.size ? out.filter((_, i) => !gone.has(i)) : out;
}

const k8sKeyMissing = (l: unknown[], key: string) => l.some((p) => !isObj(p) || !(key in p));

export function applyPatch(current: KObject, type: PatchType, patch: unknown): KObject {
  const base = cloneJson(current);
  switch (type) {
    case 'json':
      try {
        return applyJsonPatch(base, patch) as KObject;
      } catch (e) {
        if (!(e instanceof JsonPatchFailure)) throw e;
        throw errors.invalid({ group: '', resource: '', kind: current.kind }, current.metadata.name ?? '', [
          { reason: 'FieldValueInvalid', message: `the JSON patch could not be applied: ${e.message}` },
        ]);
      }
    case 'merge':
    case 'apply':
      if (!isObj(patch)) throw errors.badRequest('a merge patch must be a JSON object');
      rejectDirectives(patch, type === 'apply' ? 'the apply configuration' : 'the JSON merge patch');
      return mergePatch(base, patch) as KObject;
    case 'strategic':
      if (!isObj(patch)) throw errors.badRequest('a strategic merge patch must be a JSON object');
      return strategicMerge(base, patch) as KObject;
  }
}
