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

// Matchers run on whatever shape is stored (`metadata.labels: null`, a label that is not a
// string, a spec that is a list): an odd object does not match, it never fails the LIST or watch.
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function labelsOf(o: KObject): Record<string, string> | undefined {
  const labels = isObj(o) && isObj(o.metadata) ? o.metadata.labels : undefined;
  return isObj(labels) ? (labels as Record<string, string>) : undefined;
}

function fieldValue(get: FieldGetter, o: KObject): string {
  let v: unknown;
  try {
    v = isObj(o) && isObj(o.metadata) ? get(o) : undefined;
  } catch {
    v = undefined; // a getter that did not expect this shape: the field is not set
  }
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

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
    checks.push((o) => labelsMatch(reqs, labelsOf(o)));
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
      const value = (o: KObject) => fieldValue(get, o);
      checks.push(r.op === '=' ? (o) => value(o) === r.value : (o) => value(o) !== r.value);
    }
  }
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (o) => checks.every((c) => c(o));
}
