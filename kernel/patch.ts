// Applying PATCH bodies: JSON patch (RFC 6902, fast-json-patch), JSON merge patch (RFC 7386), and
// strategic merge patch driven by the kind's schema (patch-strategic.ts). Server-side apply is not a
// patch of the object alone: it needs the object's managedFields (field-manager.ts).
import { cloneJson, setKey as put } from './json.ts';
import { applyJsonPatch, JsonPatchFailure } from './json-patch.ts';
import type { SchemaNode } from './patch-schema.ts';
import { strategicMergePatch } from './patch-strategic.ts';
import { errors } from './status.ts';
import type { KObject, PatchType } from './types.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);


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

/**
 * `current` with `patch` applied (a new object; `current` is left as it is). `schema` is the kind's
 * (KindDefinition.schema): strategic merge patch follows its patch metadata. An `apply` patch here
 * is a merge of the applied configuration (the scale subresource's apply): the kernel applies
 * server-side apply to objects with their managed fields.
 */
export function applyPatch(current: KObject, type: PatchType, patch: unknown, schema?: SchemaNode): KObject {
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
      return strategicMergePatch(base as Record<string, unknown>, patch, schema) as KObject;
  }
}
