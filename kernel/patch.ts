// Applying PATCH bodies: JSON patch (RFC 6902, fast-json-patch), JSON merge patch (RFC 7386), and
// strategic merge patch approximated as a merge patch that merges lists of named items (containers,
// env, ports, volumes, ...) by their `name` (or the list's merge key) instead of replacing them.
import fjp from 'fast-json-patch';
import { cloneJson } from './json.ts';
import { errors } from './status.ts';
import type { KObject, PatchType } from './types.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
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

function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  if (patch['$patch'] === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return rest;
  }
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    const mk = MERGE_KEYS[k];
    if (v === null) delete out[k];
    else if (mk && Array.isArray(v) && Array.isArray(out[k])) out[k] = mergeList(out[k] as unknown[], v, mk);
    else out[k] = strategicMerge(out[k], v);
  }
  return out;
}

function mergeList(cur: unknown[], patch: unknown[], key: string): unknown[] {
  if (k8sKeyMissing(patch, key)) return patch;
  const out = [...cur];
  for (const p of patch as Record<string, unknown>[]) {
    const i = out.findIndex((c) => isObj(c) && c[key] === p[key]);
    if (p['$patch'] === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMerge(out[i], p);
    else out.push(strategicMerge(undefined, p));
  }
  return out;
}

const k8sKeyMissing = (l: unknown[], key: string) => l.some((p) => !isObj(p) || !(key in p));

export function applyPatch(current: KObject, type: PatchType, patch: unknown): KObject {
  const base = cloneJson(current);
  switch (type) {
    case 'json': {
      if (!Array.isArray(patch)) throw errors.badRequest('a JSON patch must be an array of operations');
      try {
        const err = fjp.validate(patch as fjp.Operation[], base);
        if (err) throw err;
        return fjp.applyPatch(base, patch as fjp.Operation[], false, true).newDocument as KObject;
      } catch (e) {
        throw errors.invalid({ group: '', resource: '', kind: current.kind }, current.metadata.name ?? '', [
          { reason: 'FieldValueInvalid', message: `the JSON patch could not be applied: ${(e as Error).message.split('\n')[0]}` },
        ]);
      }
    }
    case 'merge':
    case 'apply':
      if (!isObj(patch)) throw errors.badRequest('a merge patch must be a JSON object');
      return mergePatch(base, patch) as KObject;
    case 'strategic':
      if (!isObj(patch)) throw errors.badRequest('a strategic merge patch must be a JSON object');
      return strategicMerge(base, patch) as KObject;
  }
}
