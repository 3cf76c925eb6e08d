// Label selectors (the string form @skiff/api parses and matches) and field selectors (`=`, `==`,
// `!=`), parsed once and matched against objects. Bad syntax is a 400.
import { LabelSelectorParseError, labelsMatch, parseLabelSelector as parseLabelSelectorString, splitSelectorTerms, type LabelRequirement } from '@skiff/api';
import { errors } from '../status.ts';
import type { KObject } from '../types.ts';

export type { LabelRequirement } from '@skiff/api';

export type Matcher = (obj: KObject) => boolean;

/** @skiff/api's parser, with bad syntax as a 400. */
export function parseLabelSelector(sel: string): LabelRequirement[] {
  try {
    return parseLabelSelectorString(sel);
  } catch (e) {
    if (e instanceof LabelSelectorParseError) throw errors.badRequest(e.message);
    throw e;
  }
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export function parseFieldSelector(sel: string): FieldRequirement[] {
  return splitSelectorTerms(sel).map((part) => {
    const m = part.match(/^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw errors.badRequest(`invalid field selector: "${part}": expected field=value, field==value or field!=value`);
    return { field: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() };
  });
}

export type FieldGetter = (obj: KObject) => string | undefined;

/**
 * Build one matcher from both selectors. `fields` are the kind's selectable fields besides
 * metadata.name / metadata.namespace; an unknown field is a 400, as in Kubernetes.
 */
export function buildMatcher(
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
  fields: Record<string, FieldGetter>,
  kindName: string,
): Matcher | undefined {
  const checks: Matcher[] = [];
  if (labelSelector && labelSelector.trim() !== '') {
    const reqs = parseLabelSelector(labelSelector);
    checks.push((o) => labelsMatch(reqs, o.metadata.labels));
  }
  if (fieldSelector && fieldSelector.trim() !== '') {
    for (const r of parseFieldSelector(fieldSelector)) {
      const get: FieldGetter | undefined =
        r.field === 'metadata.name'
          ? (o) => o.metadata.name
          : r.field === 'metadata.namespace'
            ? (o) => o.metadata.namespace ?? ''
            : fields[r.field];
      if (!get) throw errors.badRequest(`"${r.field}" is not a known field selector: only "metadata.name", "metadata.namespace"${Object.keys(fields).map((f) => `, "${f}"`).join('')} are supported for ${kindName}`);
      checks.push(r.op === '=' ? (o) => (get(o) ?? '') === r.value : (o) => (get(o) ?? '') !== r.value);
    }
  }
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (o) => checks.every((c) => c(o));
}
