// The schema part of admission in one call: defaults, common metadata checks, the kind's own checks.
import type { KObject } from '../types.ts';
import type { StatusCause } from '../status.ts';
import { dedupeCauses } from './causes.ts';
import type { KindDefinition } from './kind-definition.ts';
import { nameCheckOf, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.ts';

/** Metadata checks (with the kind's name rule), update rules, then the kind's validate(). */
export function validateObject(def: KindDefinition, obj: KObject, old?: KObject): StatusCause[] {
  const out = validateObjectMeta(obj, { namespaced: def.namespaced, nameCheck: nameCheckOf(def) });
  if (old) out.push(...validateObjectMetaUpdate(obj, old));
  if (def.validate) out.push(...def.validate(obj, old));
  return dedupeCauses(out);
}

/** default() then validateObject(); returns the causes (the object is defaulted in place). */
export function defaultAndValidate(def: KindDefinition, obj: KObject, old?: KObject): StatusCause[] {
  def.default?.(obj);
  return validateObject(def, obj, old);
}
